/**
 * What the PostgreSQL engine does with input that could hurt it: SQL-looking stream ids and
 * names, schema names that are not identifiers, text PostgreSQL cannot hold, times it cannot
 * store, and payloads of megabytes. It stores what it can exactly as given, and refuses the rest
 * up front with the same typed errors as every engine.
 */
import { afterEach, expect, it } from 'vitest';
import { InvalidEventError, UsageError } from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';
import { rejectionOf } from './rejection-of.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(options: { schema?: string; maxEventBytes?: number } = {}): PostgresEventStore {
  const store = postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema(), ...options });
  opened.push(store);
  return store;
}

async function tablesOf(schema: string): Promise<string[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
      [schema],
    );
    return rows.map((row) => row.name);
  });
}

describeWithPostgres('bad input to the PostgreSQL engine', () => {
  it('stores SQL-looking stream ids, ids and data as text, and drops no table', async () => {
    const store = open();
    const streams = [
      "'); DROP TABLE events; --",
      '"; DROP SCHEMA public CASCADE; --',
      "x' OR '1'='1",
      '$1 $$ $function$ \\x00',
      "Robert'); DELETE FROM streams WHERE ('1'='1",
    ];
    for (const stream of streams) {
      await store.appendToStream(stream, [
        { id: `${stream} /* id */`, name: 'drop_table', data: { sql: stream }, meta: { note: `${stream}'` } },
      ]);
    }
    await store.saveSnapshot({
      stream: streams[0] as string,
      key: "'; --",
      version: 1,
      fingerprint: '$$',
      state: {},
    });
    for (const stream of streams) {
      const [event] = await store.readStream(stream);
      expect(event).toMatchObject({
        stream,
        id: `${stream} /* id */`,
        data: { sql: stream },
        meta: { note: `${stream}'` },
      });
      expect(await store.listStreams({ prefix: stream })).toEqual([{ stream, version: 1 }]);
    }
    expect(await store.readSnapshot(streams[0] as string, "'; --")).toMatchObject({ fingerprint: '$$' });
    expect(await store.readAll({ names: ["drop_table' OR '1'='1"] })).toEqual([]);
    expect(await tablesOf(store.schema)).toEqual([
      'events',
      'lease_holders',
      'leases',
      'migrations',
      'snapshots',
      'streams',
    ]);
  });

  it('refuses a schema name that is not a lower-case identifier, before touching the server', () => {
    for (const schema of [
      'public; DROP TABLE x',
      'Upper',
      '1abc',
      'with space',
      'a"b',
      '',
      'x'.repeat(64),
      'pg_mine',
    ]) {
      expect(() => postgresStore({ connectionString: POSTGRES_URL }, { schema })).toThrow(UsageError);
    }
  });

  it('takes null options as none, and refuses odd or unreadable options with UsageError, before touching the server', async () => {
    const store = postgresStore({ connectionString: POSTGRES_URL }, null);
    expect(store.schema).toBe('omniscient');
    await store.close();
    const unreadable = {
      get connectionRetryMs(): number {
        throw new Error('unreadable');
      },
    };
    for (const [index, options] of [
      { schema: 1n },
      { connectionRetryMs: 1n },
      { connectionRetryMs: Object.create(null) },
      { maxEventBytes: Object.create(null) },
      unreadable,
    ].entries()) {
      expect(
        () => postgresStore({ connectionString: POSTGRES_URL }, options as never),
        `options #${index}`,
      ).toThrow(UsageError);
    }
    for (const poolSize of [1n, Object.create(null), Symbol('ten')]) {
      expect(() => postgresStore({ connectionString: POSTGRES_URL, poolSize } as never)).toThrow(UsageError);
    }
  });

  it('accepts a schema named like an SQL keyword, quoting it', async () => {
    const schema = 'select';
    await withAdmin((client) => client.query('DROP SCHEMA IF EXISTS "select" CASCADE'));
    try {
      const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
      opened.push(store);
      await store.appendToStream('s', [{ name: 'happened' }]);
      expect(await store.streamVersion('s')).toBe(1);
    } finally {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await withAdmin((client) => client.query('DROP SCHEMA IF EXISTS "select" CASCADE'));
    }
  });

  it('keeps the JSON text as written: key order, NUL and lone surrogates in strings', async () => {
    const store = open();
    const data = { zebra: 1, apple: { y: 2, b: 3 }, nul: 'a\u0000b', lone: '\ud800', emoji: '👩‍💻' };
    await store.appendToStream('s', [{ name: 'kept', data, meta: { z: 1, a: 2 } }]);
    const [event] = await store.readStream('s');
    expect(event?.data).toEqual(data);
    expect(Object.keys(event?.data as object)).toEqual(['zebra', 'apple', 'nul', 'lone', 'emoji']);
    expect(Object.keys((event?.data as { apple: object }).apple)).toEqual(['y', 'b']);
    expect(Object.keys(event?.meta as object)).toEqual(['z', 'a']);
  });

  it('refuses what PostgreSQL text and timestamps cannot hold, with InvalidEventError, storing nothing', async () => {
    const store = open();
    const refusals: [Promise<unknown>, string][] = [
      [store.appendToStream('s', [{ id: 'nul\u0000id', name: 'a' }]), 'events[0].id'],
      [
        store.appendToStream('s', [{ name: 'a' }, { name: 'b', at: new Date(Date.UTC(10_000, 0, 1)) }]),
        'events[1].at',
      ],
      [store.appendToStream('s', [{ name: 'a', at: '0000-06-01T00:00:00Z' }]), 'events[0].at'],
      [store.appendToStream('s', [{ name: 'a', at: new Date(-8.64e15) }]), 'events[0].at'],
      [
        store.saveSnapshot({ stream: 's', key: 'k\u0000', version: 1, fingerprint: 'f', state: {} }),
        'snapshot.key',
      ],
    ];
    for (const [refusal, path] of refusals) {
      const error = await rejectionOf(refusal);
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ path });
    }
    expect(await store.readAll()).toEqual([]);
    await store.appendToStream('s', [
      { name: 'edge', at: '9999-12-31T23:59:59.999Z' },
      { name: 'edge', at: '0001-01-01T00:00:00.000Z' },
    ]);
    expect((await store.readStream('s')).map((event) => event.at)).toEqual([
      '9999-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00.000Z',
    ]);
  });

  it('answers reads of ids no event can have without asking the server', async () => {
    const store = open();
    await store.appendToStream('a', [{ name: 'happened' }]);
    expect(await store.readStream('nul\u0000')).toEqual([]);
    expect(await store.streamVersion('\ud800')).toBe(0);
    expect(await store.readSnapshot('a', 'k\u0000')).toBeUndefined();
    expect(await store.listStreams({ prefix: '\u0000' })).toEqual([]);
    expect(await store.listStreams({ after: '\u0000x' })).toEqual([{ stream: 'a', version: 1 }]);
    expect(await store.readAll({ names: ['x\u0000'] })).toEqual([]);
  });

  it('stores and reads back a 10 MB event under a limit that allows it, and refuses it under the default 1 MiB', async () => {
    const text = 'a"\\é'.repeat(2_500_000); // 10 M characters, more once encoded
    const roomy = open({ maxEventBytes: 64 * 1024 * 1024 });
    const seen: unknown[] = [];
    const subscription = await roomy.subscribe((notifications) => seen.push(...notifications));
    const { events } = await roomy.appendToStream('big', [
      { name: 'huge', data: { text } },
      { name: 'after' },
    ]);
    const [read] = await roomy.readStream('big');
    expect((read?.data as { text: string }).text === text).toBe(true);
    expect(read).toEqual(events[0]);
    const deadline = Date.now() + 20_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await subscription.close();
    expect(seen).toMatchObject([
      { name: 'huge', version: 1 },
      { name: 'after', version: 2 },
    ]);
    expect((seen[0] as { event?: unknown }).event).toBeUndefined();

    const strict = open();
    const error = await rejectionOf(strict.appendToStream('big', [{ name: 'huge', data: { text } }]));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ path: 'events[0].data' });
    expect(await strict.streamVersion('big')).toBe(0);
  }, 60_000);
});
