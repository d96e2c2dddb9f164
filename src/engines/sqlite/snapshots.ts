/**
 * Snapshots in the SQLite file: one row per stream and key, replaced only by a snapshot of the
 * same or a higher version, so a slow writer can never put an older state back. A save is one
 * statement, atomic on its own; the store runs it in its write turns (`write-turns.ts`).
 */
import type Database from 'better-sqlite3';
import { CorruptEventError } from '../../errors.js';
import type { Snapshot } from '../../engines/engine.js';
import type { PreparedSnapshot } from '../snapshot-rules.js';

export interface SqliteSnapshots {
  save(snapshot: PreparedSnapshot, at: string): void;
  read(stream: string, key: string): Snapshot | undefined;
}

export function sqliteSnapshots(db: Database.Database): SqliteSnapshots {
  const upsert = db.prepare(
    `INSERT INTO snapshots (stream, key, version, fingerprint, state, at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (stream, key) DO UPDATE SET
       version = excluded.version, fingerprint = excluded.fingerprint, state = excluded.state, at = excluded.at
     WHERE excluded.version >= snapshots.version`,
  );
  const select = db
    .prepare('SELECT version, fingerprint, state, at FROM snapshots WHERE stream = ? AND key = ?')
    .raw();
  return {
    save(snapshot, at) {
      upsert.run(
        snapshot.stream,
        snapshot.key,
        snapshot.version,
        snapshot.fingerprint,
        snapshot.stateJson,
        at,
      );
    },
    read(stream, key) {
      const row = select.get(stream, key) as unknown[] | undefined;
      if (row === undefined) return undefined;
      const [version, fingerprint, stateJson, at] = row;
      if (
        !Number.isSafeInteger(version) ||
        typeof fingerprint !== 'string' ||
        typeof stateJson !== 'string' ||
        typeof at !== 'string'
      ) {
        throw new CorruptEventError({ stream }, `the snapshot for key "${key}" has a malformed row`);
      }
      let state: unknown;
      try {
        state = JSON.parse(stateJson);
      } catch (error) {
        throw new CorruptEventError({ stream }, `the snapshot for key "${key}" is not valid JSON`, {
          cause: error,
        });
      }
      return { stream, key, version: version as number, fingerprint, state, at };
    },
  };
}
