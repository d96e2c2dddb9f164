/**
 * Leases came with schema version 2: a SQLite file or PostgreSQL schema written at version 1 is
 * brought up to date in place when opened, keeping its events, and then grants leases. Takeovers
 * came with PostgreSQL schema version 3 (SQLite needed no change): a schema written at version 2
 * is brought up to date in place, keeping its leases, and then takes them over. PostgreSQL schema
 * version 4 replaced the append function so that an append of no events keeps its fencing term
 * (SQLite needed no change): a schema written at version 3 is brought up to date the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FencedError } from '../../src/errors.js';
import { SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from '../../src/engines/postgres/schema.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../../src/engines/sqlite/schema.js';
import { postgresStore } from '../../src/postgres.js';
import { sqliteStore } from '../../src/sqlite.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-lease-upgrade-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('a SQLite file at schema version 1', () => {
  it('is brought up to date when opened, keeps its events, and grants leases', async () => {
    const file = join(directory, 'version-1.sqlite');
    const before = sqliteStore({ file });
    await before.appendToStream('kept', [{ name: 'happened' }], { fencingTerm: 3 });
    await before.close();
    // What version 1 was: no lease tables.
    const raw = new Database(file);
    raw.exec('DROP TABLE leases; DROP TABLE lease_holders; PRAGMA user_version = 1;');
    raw.close();

    const store = sqliteStore({ file });
    expect(await store.readStream('kept')).toHaveLength(1);
    expect(await store.acquireLease('leader', { holder: 'node-a', ttlMs: 60_000 })).toMatchObject({
      granted: true,
      term: 1,
    });
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    check.close();
  });
});

describeWithPostgres('a PostgreSQL schema at version 1', () => {
  it('is brought up to date when opened, keeps its events, and grants leases', async () => {
    const schema = freshSchema();
    const before = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    await before.appendToStream('kept', [{ name: 'happened' }]);
    await before.close();
    // What version 1 was: no lease tables or functions.
    await withAdmin((client) =>
      client.query(
        `DROP FUNCTION "${schema}".take_over_lease;
         DROP FUNCTION "${schema}".acquire_lease; DROP FUNCTION "${schema}".renew_leases;
         DROP TABLE "${schema}".leases; DROP TABLE "${schema}".lease_holders;
         DELETE FROM "${schema}".migrations WHERE version > 1`,
      ),
    );

    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    try {
      expect(await store.readStream('kept')).toHaveLength(1);
      expect(await store.acquireLease('leader', { holder: 'node-a', ttlMs: 60_000 })).toMatchObject({
        granted: true,
        term: 1,
      });
    } finally {
      await store.close();
    }
    const versions = await withAdmin(async (client) => {
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    });
    expect(versions).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1));
  });
});

describeWithPostgres('a PostgreSQL schema at version 2', () => {
  it('is brought up to date when opened, keeps its leases, and takes them over', async () => {
    const schema = freshSchema();
    const before = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    const held = await before.acquireLease('leader', { holder: 'node-a', ttlMs: 60_000 });
    await before.close();
    // What version 2 was: no takeover function.
    await withAdmin((client) =>
      client.query(
        `DROP FUNCTION "${schema}".take_over_lease; DELETE FROM "${schema}".migrations WHERE version > 2`,
      ),
    );

    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    try {
      expect(await store.readLease('leader')).toMatchObject({
        term: 1,
        held: { holder: 'node-a', expiresAt: held.expiresAt },
      });
      expect(
        await store.takeOverLease('leader', { holder: 'node-b', ttlMs: 60_000 }, held.term),
      ).toMatchObject({ granted: true, holder: 'node-b', term: 2 });
    } finally {
      await store.close();
    }
    const versions = await withAdmin(async (client) => {
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    });
    expect(versions).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1));
  });
});

describeWithPostgres('a PostgreSQL schema at version 3', () => {
  it('is brought up to date when opened, keeps its events and terms, and fences with no events', async () => {
    const schema = freshSchema();
    const before = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    await before.appendToStream('kept', [{ name: 'happened' }], { fencingTerm: 3 });
    await before.close();
    // Version 3's function kept no term from an append of no events; without the functions at all,
    // only migrations 4 (the group function) and 5 (the lean one) can make the appends below work.
    await withAdmin((client) =>
      client.query(
        `DROP FUNCTION "${schema}".append_events; DROP FUNCTION "${schema}".append_one;
         DELETE FROM "${schema}".migrations WHERE version > 3`,
      ),
    );

    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    try {
      expect(await store.readStream('kept')).toHaveLength(1);
      await expect(store.appendToStream('kept', [{ name: 'stale' }], { fencingTerm: 2 })).rejects.toThrow(
        FencedError,
      );
      expect(await store.appendToStream('fenced', [], { fencingTerm: 2 })).toEqual({
        stream: 'fenced',
        events: [],
        version: 0,
      });
      await expect(store.appendToStream('fenced', [{ name: 'stale' }], { fencingTerm: 1 })).rejects.toThrow(
        FencedError,
      );
      expect(await store.listStreams()).toEqual([{ stream: 'kept', version: 1 }]);
      // Two at once go to the group function.
      await Promise.all([
        store.appendToStream('kept', [{ name: 'again' }], { fencingTerm: 3 }),
        store.appendToStream('other', [{ name: 'too' }]),
      ]);
      expect(await store.listStreams()).toEqual([
        { stream: 'kept', version: 2 },
        { stream: 'other', version: 1 },
      ]);
    } finally {
      await store.close();
    }
    const versions = await withAdmin(async (client) => {
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    });
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    expect(POSTGRES_SCHEMA_VERSION).toBe(5);
  });
});
