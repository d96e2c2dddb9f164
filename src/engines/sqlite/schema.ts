/**
 * The SQLite schema and its migrations. The file's schema version is kept in `PRAGMA user_version`.
 * Opening a store brings the file up to `SCHEMA_VERSION` inside one `BEGIN IMMEDIATE` transaction
 * that reads the version again once it holds the write lock, so any number of processes opening
 * one file at once migrate it exactly once; a file that is already current is only read.
 */
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../errors.js';
import { describeFile } from './sqlite-errors.js';

export const SCHEMA_VERSION = 2;

/** `MIGRATIONS[n]` takes a file from schema version n to n + 1. Never edit one that has shipped. */
const MIGRATIONS: readonly string[] = [
  `
  -- AUTOINCREMENT: a position is never reused, even after the last event is deleted, so a reader
  -- that remembers a position never mistakes a new event for one it has already seen.
  CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    meta TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (stream, version)
  ) STRICT;

  -- One row per stream: its version is read and written by every append under the write lock,
  -- and fencing_term is there for a leader's fencing check.
  CREATE TABLE streams (
    stream TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    fencing_term INTEGER NOT NULL DEFAULT 0
  ) STRICT, WITHOUT ROWID;

  -- readAll filtered by names walks each name's events in position order.
  CREATE INDEX events_by_name ON events (name, position);

  -- The newest snapshot of each stream for each key (an actor class).
  CREATE TABLE snapshots (
    stream TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (stream, key)
  ) STRICT;
  `,
  `
  -- Leases (see lease-rules.ts). One row per holder (a process): renewing it renews every lease it
  -- holds. expires_at is in milliseconds since the epoch on the file's host clock.
  CREATE TABLE lease_holders (
    holder TEXT PRIMARY KEY,
    incarnation INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  -- One row per lease name, kept for ever: its term must never go back, since streams remember
  -- the terms that wrote to them.
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT,
    incarnation INTEGER NOT NULL,
    term INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  -- Finds whether a lapsed holder still holds any lease, so its row can be forgotten.
  CREATE INDEX leases_by_holder ON leases (holder);
  `,
];

/** The tables the migrations create: a file that already holds one of them at version 0 is not ours. */
const OWN_TABLES = ['events', 'streams', 'snapshots', 'lease_holders', 'leases'];

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the file up to `SCHEMA_VERSION`, or refuses a file this version cannot use. */
export function migrateSchema(db: Database.Database, file: string, readonly: boolean): void {
  const found = readSchemaVersion(db);
  if (found === SCHEMA_VERSION) return;
  refuseNewer(found, file);
  if (readonly) {
    throw new StoreUnavailableError(
      `the store file ${describeFile(file)} has schema version ${found} and needs ${SCHEMA_VERSION}; ` +
        'it was opened read-only, so it cannot be brought up to date',
    );
  }
  db.transaction(() => {
    // Another process may have migrated the file between the read above and the write lock.
    const current = readSchemaVersion(db);
    refuseNewer(current, file);
    if (current === SCHEMA_VERSION) return;
    if (current === 0) refuseForeignTables(db, file);
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version] as string);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function refuseNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(
      `the store file ${describeFile(file)} has schema version ${version}, written by a newer version ` +
        `of omniscient; this version knows schema versions up to ${SCHEMA_VERSION}`,
    );
  }
}

function refuseForeignTables(db: Database.Database, file: string): void {
  const clashing = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (${OWN_TABLES.map(() => '?').join(', ')})`,
    )
    .pluck()
    .all(...OWN_TABLES) as string[];
  if (clashing.length > 0) {
    throw new StoreUnavailableError(
      `the store file ${describeFile(file)} already holds tables named ${clashing.join(' and ')} ` +
        'that omniscient did not create; use another file',
    );
  }
}
