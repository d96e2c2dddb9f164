/**
 * Group commit in the PostgreSQL engine: the appends a process makes at the same time go to the
 * server as one call of the append function, in one transaction, yet each caller is answered on
 * its own, as if it had appended alone. And the races between processes that the function's own
 * checks cannot see (an id stored by another transaction between the checks and the insert) end
 * in the same typed errors.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { encodeGroup } from '../../src/engines/postgres/append-batch.js';
import { appendCallText } from '../../src/engines/postgres/append-function.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import {
  ConcurrencyError,
  DuplicateEventError,
  FencedError,
  StoreUnavailableError,
} from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const pools: pg.Pool[] = [];
const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

/** A store on a pool that counts the calls of the append functions (of groups, and lean). */
function countingStore(schema = freshSchema()): { store: PostgresEventStore; calls: () => number } {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  pool.on('error', () => undefined);
  pools.push(pool);
  let calls = 0;
  const count = (args: unknown[]) => {
    const text = (args[0] as { text?: string } | undefined)?.text ?? '';
    if (text.includes('append_events') || text.includes('append_one')) calls++;
  };
  const wrap = (target: { query: (...args: unknown[]) => unknown }) => {
    const query = target.query.bind(target);
    target.query = (...args: unknown[]) => {
      count(args);
      return query(...args);
    };
  };
  wrap(pool as unknown as { query: (...args: unknown[]) => unknown });
  pool.on('connect', (client) => wrap(client as unknown as { query: (...args: unknown[]) => unknown }));
  const store = postgresStore({ pool }, { schema });
  opened.push(store);
  return { store, calls: () => calls };
}

async function settle<T>(promises: Promise<T>[]): Promise<(T | unknown)[]> {
  const outcomes = await Promise.allSettled(promises);
  return outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason));
}

describeWithPostgres('group commit in the PostgreSQL engine', () => {
  it('sends the appends made at the same time as one call, and answers each with its own events', async () => {
    const { store, calls } = countingStore();
    await store.ready();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        store.appendToStream(`stream-${index % 5}`, [{ name: 'happened', data: { index } }]),
      ),
    );
    expect(calls()).toBe(1);
    for (const [index, result] of results.entries()) {
      expect(result.stream).toBe(`stream-${index % 5}`);
      expect(result.events[0]?.data).toEqual({ index });
    }
    // In arrival order: appends of one stream take its versions one after the other.
    expect(results.filter((_, index) => index % 5 === 0).map((result) => result.version)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(await store.readAll({ limit: 100 })).toEqual(
      results.flatMap((result) => result.events).sort((a, b) => a.position - b.position),
    );
  });

  it("refuses one caller's append without failing the others of its group", async () => {
    const { store, calls } = countingStore();
    await store.appendToStream('fenced', [{ name: 'ruled' }], { fencingTerm: 5 });
    await store.appendToStream('taken', [{ id: 'taken-id', name: 'first' }]);
    await store.appendToStream('moved', [{ name: 'a' }, { name: 'b' }]);
    const before = calls();
    const outcomes = await settle([
      store.appendToStream('fine', [{ name: 'ok' }]),
      store.appendToStream('moved', [{ name: 'stale' }], { expectedVersion: 1 }),
      store.appendToStream('fenced', [{ name: 'deposed' }], { fencingTerm: 4 }),
      store.appendToStream('other', [{ id: 'taken-id', name: 'again' }]),
      store.appendToStream('moved', [{ name: 'fresh' }], { expectedVersion: 2 }),
      store.appendToStream('moved', [{ name: 'next' }], { expectedVersion: 3 }),
      store.appendToStream('fine', [{ name: 'ok_too' }], { expectedVersion: 'exists' }),
    ]);
    expect(calls() - before).toBe(1);
    expect(outcomes[0]).toMatchObject({ stream: 'fine', version: 1 });
    expect(outcomes[1]).toBeInstanceOf(ConcurrencyError);
    expect(outcomes[1]).toMatchObject({ stream: 'moved', expected: 1, actual: 2 });
    expect(outcomes[2]).toBeInstanceOf(FencedError);
    expect(outcomes[2]).toMatchObject({ stream: 'fenced', term: 4, currentTerm: 5 });
    expect(outcomes[3]).toBeInstanceOf(DuplicateEventError);
    expect(outcomes[3]).toMatchObject({ eventId: 'taken-id', stream: 'other' });
    expect(outcomes[4]).toMatchObject({ stream: 'moved', version: 3 });
    expect(outcomes[5]).toMatchObject({ stream: 'moved', version: 4 });
    expect(outcomes[6]).toMatchObject({ stream: 'fine', version: 2 });
    expect((await store.readStream('moved')).map((event) => event.name)).toEqual(['a', 'b', 'fresh', 'next']);
    expect(await store.streamVersion('other')).toBe(0);
  });

  it('answers two concurrent sends of one batch with the same stored events, storing them once', async () => {
    const { store } = countingStore();
    const batch = [
      { id: 'twice-1', name: 'placed' },
      { id: 'twice-2', name: 'paid' },
    ];
    const [first, second] = await Promise.all([
      store.appendToStream('order', batch, { expectedVersion: 'no-stream' }),
      store.appendToStream('order', batch, { expectedVersion: 'no-stream' }),
    ]);
    expect(second).toEqual(first);
    expect(await store.streamVersion('order')).toBe(2);
  });

  it('refuses with DuplicateEventError an id that another process stored in another stream at the same moment', async () => {
    const schema = freshSchema();
    const one = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    const two = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(one, two);
    await Promise.all([one.ready(), two.ready()]);
    const holder = new pg.Client({ connectionString: POSTGRES_URL });
    await holder.connect();
    try {
      // Holding the position lock lets both appends pass their checks before either inserts.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [schemaNames(schema).positionLockKey]);
      const racing = settle([
        one.appendToStream('left', [{ id: 'contested', name: 'claimed', data: 1 }]),
        two.appendToStream('right', [{ id: 'contested', name: 'claimed', data: 1 }]),
      ]);
      await waitForLockWaiters(schemaNames(schema).positionLockKey, 2);
      await holder.query('COMMIT');
      const outcomes = await racing;
      const refused = outcomes.filter((outcome) => outcome instanceof Error);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(DuplicateEventError);
      expect(refused[0]).toMatchObject({ eventId: 'contested' });
    } finally {
      await holder.end();
    }
    const stored = await one.readAll();
    expect(stored.map((event) => event.id)).toEqual(['contested']);
    const losing = stored[0]?.stream === 'left' ? 'right' : 'left';
    expect(await one.streamVersion(losing)).toBe(0);
    expect(await one.listStreams()).toEqual([{ stream: stored[0]?.stream, version: 1 }]);
  });

  it('refuses to run the append function in a transaction that is not READ COMMITTED', async () => {
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema() });
    opened.push(store);
    await store.ready();
    const error = await withAdmin(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        await client.query(
          appendCallText(schemaNames(store.schema)),
          encodeGroup([
            {
              stream: 's',
              events: [{ id: 'x', name: 'a', dataJson: '1', metaJson: '{}', at: new Date().toISOString() }],
              expected: 'any',
              fencingTerm: undefined,
            },
          ]),
        );
        return undefined;
      } catch (caught) {
        return caught;
      } finally {
        await client.query('ROLLBACK');
      }
    });
    expect(error).toMatchObject({ code: 'OM001' });
    expect(await store.streamVersion('s')).toBe(0);
  });

  it('rejects the callers of a group with StoreUnavailableError when the function fails', async () => {
    const { store } = countingStore();
    await store.ready();
    await withAdmin((client) => client.query(`DROP FUNCTION "${store.schema}".append_events`));
    const outcomes = await settle([
      store.appendToStream('a', [{ name: 'one' }]),
      store.appendToStream('b', [{ name: 'two' }]),
    ]);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(StoreUnavailableError);
  });
});

/** Resolves once `count` sessions wait for the advisory lock (one bigint key) `key`. */
async function waitForLockWaiters(key: string, count: number): Promise<void> {
  const value = BigInt.asUintN(64, BigInt(key));
  const high = String(value >> 32n);
  const low = String(value & 0xffffffffn);
  for (;;) {
    const waiting = await withAdmin(async (client) => {
      const { rows } = await client.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_locks
          WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND objsubid = 1 AND NOT granted`,
        [high, low],
      );
      return Number(rows[0]?.waiting ?? 0);
    });
    if (waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
