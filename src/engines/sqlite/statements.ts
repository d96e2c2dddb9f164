/** Every statement the SQLite engine runs, prepared once per connection. */
import type Database from 'better-sqlite3';
import { EVENT_COLUMNS, EVENT_COLUMNS_WITH_STREAM } from './row-mapping.js';

type StatementName =
  | 'streamVersion'
  | 'lastPosition'
  | 'eventById'
  | 'insertEvent'
  | 'fencingTerm'
  | 'upsertFencedStream'
  | 'upsertStream'
  | 'readStream'
  | 'readAll'
  | 'readAllByName'
  | 'listStreams'
  | 'listStreamsBelow';

// Named, so that the declaration the build emits can refer to the driver's statement type.
export type Statements = Readonly<Record<StatementName, Database.Statement>>;

export function prepareStatements(db: Database.Database): Statements {
  return {
    streamVersion: db.prepare('SELECT version FROM streams WHERE stream = ?').pluck(),
    lastPosition: db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
    eventById: db.prepare('SELECT stream, version FROM events WHERE id = ?').raw(),
    insertEvent: db.prepare(
      'INSERT INTO events (id, stream, version, name, data, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    fencingTerm: db.prepare('SELECT fencing_term FROM streams WHERE stream = ?').pluck(),
    upsertFencedStream: db.prepare(
      `INSERT INTO streams (stream, version, fencing_term) VALUES (?, ?, ?) ON CONFLICT (stream)
       DO UPDATE SET version = excluded.version, fencing_term = max(fencing_term, excluded.fencing_term)`,
    ),
    upsertStream: db.prepare(
      'INSERT INTO streams (stream, version) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET version = excluded.version',
    ),
    readStream: db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND version >= ? AND version <= ? ORDER BY version LIMIT ?`,
      )
      .raw(),
    readAll: db
      .prepare(`SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
      .raw(),
    readAllByName: db
      .prepare(
        `SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM events WHERE name = ? AND position > ? ORDER BY position LIMIT ?`,
      )
      .raw(),
    // A row at version 0 is a stream fenced before its first event: it has no events to list.
    listStreams: db
      .prepare(
        'SELECT stream, version FROM streams WHERE stream > ? AND stream >= ? AND version > 0 ORDER BY stream LIMIT ?',
      )
      .raw(),
    listStreamsBelow: db
      .prepare(
        'SELECT stream, version FROM streams WHERE stream > ? AND stream >= ? AND stream < ? AND version > 0 ORDER BY stream LIMIT ?',
      )
      .raw(),
  };
}
