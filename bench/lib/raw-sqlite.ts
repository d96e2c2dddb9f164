/**
 * The raw baseline: the least work that can store and read the same events with better-sqlite3,
 * so that the library's figures read as "how close to the driver", not as bare numbers.
 *
 * Same file settings as the SQLite engine, the same columns, the same unique indexes, one
 * transaction per append, prepared statements, and JSON encoding and decoding inside the timed
 * work, as the engine must do them. What the baseline leaves out (checking the expected version,
 * validating events, building the stored-event objects an engine returns) is what the ratio
 * charges to the library.
 */
import Database from 'better-sqlite3';
import type { SynchronousMode } from '../../src/sqlite.js';
import type { WorkloadEvent } from './workload.js';

export interface RawEvent {
  position: number;
  id: string;
  stream: string;
  version: number;
  name: string;
  data: unknown;
  meta: unknown;
  at: string;
}

/** A row as selected: position, id, stream, version, name, data, meta, at. */
type RawRow = [number, string, string, number, string, string, string, string];

export class RawEventTable {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, string, number, string, string, string, string]>;
  readonly #readPage: Database.Statement<[string, number, number], RawRow>;
  readonly #appendBatch: (stream: string, fromVersion: number, events: readonly WorkloadEvent[]) => void;

  /** `synchronous` as the engine maps it, so that a commit waits for the disk exactly as the engine's does. */
  constructor(file: string, synchronous: SynchronousMode) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY,
        id       TEXT    NOT NULL UNIQUE,
        stream   TEXT    NOT NULL,
        version  INTEGER NOT NULL,
        name     TEXT    NOT NULL,
        data     TEXT    NOT NULL,
        meta     TEXT    NOT NULL,
        at       TEXT    NOT NULL,
        UNIQUE (stream, version)
      )`);
    this.#insert = this.#db.prepare(
      'INSERT INTO events (id, stream, version, name, data, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // Rows as arrays: the fastest way better-sqlite3 returns them, and what a reader tuned by hand would use.
    this.#readPage = this.#db
      .prepare<[string, number, number], RawRow>(
        `SELECT position, id, stream, version, name, data, meta, at FROM events
         WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?`,
      )
      .raw();
    this.#appendBatch = this.#db.transaction(
      (stream: string, fromVersion: number, events: readonly WorkloadEvent[]) => {
        let version = fromVersion;
        for (const event of events) {
          version++;
          this.#insert.run(
            event.id,
            stream,
            version,
            event.name,
            JSON.stringify(event.data),
            JSON.stringify(event.meta),
            event.at,
          );
        }
      },
    );
  }

  /** Stores `events` after version `fromVersion` of `stream`, in one transaction. */
  append(stream: string, fromVersion: number, events: readonly WorkloadEvent[]): void {
    this.#appendBatch(stream, fromVersion, events);
  }

  /** Up to `limit` events of `stream` from `fromVersion` on, decoded. */
  readPage(stream: string, fromVersion: number, limit: number): RawEvent[] {
    const rows = this.#readPage.all(stream, fromVersion, limit);
    const events: RawEvent[] = new Array(rows.length);
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index]!;
      events[index] = {
        position: row[0],
        id: row[1],
        stream: row[2],
        version: row[3],
        name: row[4],
        data: JSON.parse(row[5]),
        meta: JSON.parse(row[6]),
        at: row[7],
      };
    }
    return events;
  }

  countEvents(): number {
    return this.#db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  }

  close(): void {
    this.#db.close();
  }
}
