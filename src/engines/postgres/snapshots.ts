/**
 * Snapshots in the store's schema: one row per stream and key, replaced only by a snapshot of the
 * same or a higher version, in one upsert, so a slow writer can never put an older state back
 * whatever the concurrency. The state is kept as the JSON text written.
 */
import { CorruptEventError, InvalidEventError } from '../../errors.js';
import type { Snapshot } from '../engine.js';
import type { PreparedSnapshot } from '../snapshot-rules.js';
import type { Database } from './connection.js';
import type { SchemaNames } from './identifiers.js';
import { isStorableText } from './reads.js';
import { isoText, parseJson, wholeNumber } from './rows.js';

export interface PostgresSnapshots {
  save(snapshot: PreparedSnapshot, at: string): Promise<void>;
  read(stream: string, key: string): Promise<Snapshot | undefined>;
}

export function postgresSnapshots(db: Database, names: SchemaNames): PostgresSnapshots {
  const q = names.quoted;
  const upsert = {
    name: `${names.statementPrefix}.save-snapshot`,
    text: `INSERT INTO ${q}.snapshots AS saved (stream, key, version, fingerprint, state, at)
           VALUES ($1, $2, $3, $4, $5::json, $6::timestamptz)
           ON CONFLICT (stream, key) DO UPDATE SET
             version = excluded.version, fingerprint = excluded.fingerprint, state = excluded.state, at = excluded.at
           WHERE excluded.version >= saved.version`,
  };
  const select = {
    name: `${names.statementPrefix}.read-snapshot`,
    text: `SELECT version, fingerprint, state, ${isoText('at')} FROM ${q}.snapshots WHERE stream = $1 AND key = $2`,
  };

  return {
    async save(snapshot, at) {
      // PostgreSQL text cannot hold NUL: refuse it here rather than fail at the server.
      for (const [label, path] of [
        [snapshot.key, 'snapshot.key'],
        [snapshot.fingerprint, 'snapshot.fingerprint'],
      ] as const) {
        if (label.includes('\u0000')) {
          throw new InvalidEventError(path, 'holds a NUL character, which PostgreSQL cannot store');
        }
      }
      await db.query(
        {
          ...upsert,
          values: [
            snapshot.stream,
            snapshot.key,
            snapshot.version,
            snapshot.fingerprint,
            snapshot.stateJson,
            at,
          ],
        },
        'save a snapshot in',
      );
    },

    async read(stream, key) {
      if (!isStorableText(stream) || typeof key !== 'string' || !isStorableText(key)) return undefined;
      const [row] = await db.query({ ...select, values: [stream, key] }, 'read from');
      if (row === undefined) return undefined;
      const [versionText, fingerprint, stateJson, at] = row;
      const version = wholeNumber(versionText);
      if (version === undefined || typeof fingerprint !== 'string' || typeof at !== 'string') {
        throw new CorruptEventError({ stream }, `the snapshot for key "${key}" has a malformed row`);
      }
      const state = parseJson(
        stateJson,
        (cause) =>
          new CorruptEventError({ stream }, `the snapshot for key "${key}" is not valid JSON`, { cause }),
      );
      return { stream, key, version, fingerprint, state, at };
    },
  };
}
