/**
 * The store's tables, sequence and append function, all in the store's own schema, and their
 * versioned migrations. The schema's `migrations` table lists the migrations applied.
 *
 * Guarantees:
 * - Opening a store brings its schema up to `SCHEMA_VERSION` in one transaction that first takes a
 *   transaction advisory lock keyed on the schema name and then reads the applied migrations
 *   again, so any number of processes starting at once migrate the schema exactly once; the
 *   others wait, then find it current. A schema already current is only read, without the lock
 *   or any DDL, so a role that may not create objects can still use a migrated schema.
 * - A schema written by a newer version of omniscient, or one holding tables of the same names
 *   that omniscient did not create, is refused with `StoreUnavailableError`, untouched.
 * - The database must be UTF-8: stream ids are sorted by their UTF-8 bytes (collation "C"), which
 *   is the order of their code points, as in every engine.
 */
import type pg from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import { appendFunctionSql } from './append-function.js';
import { appendOneFunctionSql } from './append-one-function.js';
import { queryText, type Database } from './connection.js';
import { leaseMigrationSql, takeOverMigrationSql } from './lease-functions.js';
import type { SchemaNames } from './identifiers.js';

export const SCHEMA_VERSION = 5;

/** `MIGRATIONS[n]` takes a schema from version n to n + 1. Never edit one that has shipped. */
const MIGRATIONS: readonly ((names: SchemaNames) => string)[] = [
  (names) => {
    const q = names.quoted;
    return `
-- Positions are drawn only by the append function, under its lock, and CACHE 1 is essential: a
-- session holding a cache would hand out numbers below those another session already committed.
CREATE SEQUENCE ${q}.positions AS bigint MINVALUE 1 CACHE 1 NO CYCLE;

-- data and meta are json, not jsonb: json keeps the text as written (key order, duplicate keys,
-- "\\u0000" escapes), which jsonb would change or refuse.
CREATE TABLE ${q}.events (
  position bigint PRIMARY KEY,
  id text COLLATE "C" NOT NULL,
  stream text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  name text COLLATE "C" NOT NULL,
  data json NOT NULL,
  meta json NOT NULL,
  at timestamptz NOT NULL,
  CONSTRAINT events_id_key UNIQUE (id),
  CONSTRAINT events_stream_version_key UNIQUE (stream, version)
);
ALTER SEQUENCE ${q}.positions OWNED BY ${q}.events.position;

-- readAll filtered by names walks each name's events in position order.
CREATE INDEX events_by_name ON ${q}.events (name, position);

-- One row per stream: its version, and the highest fencing term that wrote to it.
CREATE TABLE ${q}.streams (
  stream text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL,
  fencing_term bigint NOT NULL DEFAULT 0
);

-- The newest snapshot of each stream for each key (an actor class).
CREATE TABLE ${q}.snapshots (
  stream text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  fingerprint text NOT NULL,
  state json NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (stream, key)
);

${appendFunctionSql(names)}
`;
  },
  (names) => leaseMigrationSql(names),
  (names) => takeOverMigrationSql(names),
  // The append function keeps the fencing term of an append of no events (the function's text is
  // the current one; CREATE OR REPLACE swaps it in place, under the migration's lock).
  (names) => appendFunctionSql(names),
  // The lean append function, for a group of one append (see append-one-function.ts), and both
  // functions signal with a notice when they hold the position lock (see group-commit.ts).
  (names) => `${appendFunctionSql(names)}\n${appendOneFunctionSql(names)}`,
];

/** The tables the migrations create: a schema at version 0 that holds one of them is not ours. */
const OWN_TABLES = ['events', 'streams', 'snapshots', 'positions', 'lease_holders', 'leases'];

/** Brings the schema up to `SCHEMA_VERSION`, or refuses a schema this version cannot use. */
export async function migrateSchema(db: Database, names: SchemaNames): Promise<void> {
  await db.withClient(async (client) => {
    await checkEncoding(client, db.target);
    if ((await appliedVersion(client, names)) === SCHEMA_VERSION) return;
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [names.migrationLockKey]);
      // Another process may have migrated the schema while this one waited for the lock.
      const current = await appliedVersion(client, names);
      if (current < SCHEMA_VERSION) {
        if (current === 0) await prepareEmptySchema(client, names, db.target);
        for (let version = current; version < SCHEMA_VERSION; version++) {
          await client.query((MIGRATIONS[version] as (names: SchemaNames) => string)(names));
          await client.query(`INSERT INTO ${names.quoted}.migrations (version) VALUES ($1)`, [version + 1]);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }, 'open');
}

async function checkEncoding(client: pg.PoolClient, target: string): Promise<void> {
  const [row] = await queryText(client, { text: "SELECT pg_catalog.current_setting('server_encoding')" });
  const encoding = row?.[0];
  if (encoding !== 'UTF8') {
    throw new StoreUnavailableError(
      `the database at ${target} uses the ${String(encoding)} encoding; omniscient needs a UTF8 database`,
    );
  }
}

/** The highest migration applied to the schema, 0 when it has none (or does not exist). */
async function appliedVersion(client: pg.PoolClient, names: SchemaNames): Promise<number> {
  // A query of the catalogs, not to_regclass: it reads with a fresh snapshot (and makes the
  // session's catalog caches catch up), so a process that waited for the lock sees the schema the
  // previous holder created.
  const [found] = await queryText(client, {
    text: `SELECT EXISTS (SELECT FROM pg_catalog.pg_class AS c
                            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                           WHERE n.nspname = $1 AND c.relname = 'migrations')`,
    values: [names.schema],
  });
  if (found?.[0] !== 't') return 0;
  const [applied] = await queryText(client, { text: `SELECT max(version) FROM ${names.quoted}.migrations` });
  const version = Number(applied?.[0] ?? 0);
  if (version > SCHEMA_VERSION) {
    throw new StoreUnavailableError(
      `the schema "${names.schema}" has version ${version}, written by a newer version of omniscient; ` +
        `this version knows schema versions up to ${SCHEMA_VERSION}`,
    );
  }
  return version;
}

async function prepareEmptySchema(client: pg.PoolClient, names: SchemaNames, target: string): Promise<void> {
  const [found] = await queryText(client, {
    text: 'SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1)',
    values: [names.schema],
  });
  if (found?.[0] !== 't') {
    await client.query(`CREATE SCHEMA ${names.quoted}`);
  } else {
    const clashing = await queryText(client, {
      text: `SELECT c.relname FROM pg_catalog.pg_class AS c
               JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) ORDER BY c.relname`,
      values: [names.schema, OWN_TABLES],
    });
    if (clashing.length > 0) {
      throw new StoreUnavailableError(
        `the schema "${names.schema}" at ${target} already holds ${clashing
          .map((row) => row[0])
          .join(', ')}, which omniscient did not create; use another schema`,
      );
    }
  }
  await client.query(
    `CREATE TABLE ${names.quoted}.migrations (
       version integer PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}
