/**
 * The PostgreSQL engine's schema: created on first use, migrated once however many processes
 * start at once, usable by a role that may not create anything once migrated, and never laid over
 * tables it did not create or a version it does not know.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/engines/postgres/schema.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';
import { rejectionOf } from './rejection-of.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(schema: string, connectionString = POSTGRES_URL): PostgresEventStore {
  const store = postgresStore({ connectionString }, { schema });
  opened.push(store);
  return store;
}

describeWithPostgres('the schema of the PostgreSQL engine', () => {
  it('is created and migrated once when many stores start on it at the same moment', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 8 }, () => open(schema));
    await Promise.all(
      stores.map((store, index) => store.appendToStream(`s-${index}`, [{ name: 'started' }])),
    );
    const migrations = await withAdmin(async (client) => {
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    });
    expect(migrations).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1));
    expect(await stores[0]!.listStreams()).toHaveLength(8);
  });

  it('moves into a schema that exists but is empty', async () => {
    const schema = freshSchema();
    await withAdmin((client) => client.query(`CREATE SCHEMA "${schema}"`));
    const store = open(schema);
    await store.appendToStream('s', [{ name: 'happened' }]);
    expect(await store.streamVersion('s')).toBe(1);
  });

  it('keeps stores in different schemas of one database apart', async () => {
    const one = open(freshSchema());
    const two = open(freshSchema());
    await one.appendToStream('shared-name', [{ name: 'in_one' }]);
    expect(await two.streamVersion('shared-name')).toBe(0);
    expect(await two.readAll()).toEqual([]);
  });

  it('refuses a schema holding tables it did not create, and leaves them alone', async () => {
    const schema = freshSchema();
    await withAdmin(async (client) => {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`CREATE TABLE "${schema}".events (mine text)`);
      await client.query(`INSERT INTO "${schema}".events VALUES ('precious')`);
    });
    const error = await rejectionOf(open(schema).ready());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain('events');
    const rows = await withAdmin(
      async (client) => (await client.query(`SELECT mine FROM "${schema}".events`)).rows,
    );
    expect(rows).toEqual([{ mine: 'precious' }]);
  });

  it('refuses a schema migrated by a newer version of omniscient', async () => {
    const schema = freshSchema();
    await open(schema).ready();
    await withAdmin((client) =>
      client.query(`INSERT INTO "${schema}".migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1]),
    );
    const error = await rejectionOf(open(schema).readAll());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain('newer version');
  });

  it('lets a role that may not create anything use a schema already migrated', async () => {
    const schema = freshSchema();
    await open(schema).ready();
    const role = `omniscient_app_${randomBytes(4).toString('hex')}`;
    await withAdmin(async (client) => {
      await client.query(`CREATE ROLE ${role} LOGIN`);
      await client.query(`REVOKE CREATE ON SCHEMA public FROM ${role}`);
      await client.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
      await client.query(`GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA "${schema}" TO ${role}`);
    });
    try {
      const url = new URL(POSTGRES_URL);
      url.username = role;
      const store = open(schema, url.toString());
      await store.appendToStream('s', [{ name: 'by_app' }]);
      await store.saveSnapshot({ stream: 's', key: 'K', version: 1, fingerprint: 'f', state: { ok: true } });
      expect(await store.readStream('s')).toHaveLength(1);
      await store.close();
    } finally {
      await withAdmin(async (client) => {
        await client.query(`DROP OWNED BY ${role}`);
        await client.query(`DROP ROLE ${role}`);
      });
    }
  });
});
