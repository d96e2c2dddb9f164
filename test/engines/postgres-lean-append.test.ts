/**
 * The lean append function of the PostgreSQL engine: a process that makes one append at a time
 * sends it to `append_one`, not to the group function, and every refusal, retry and notification
 * must come out exactly as the group function gives them.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { encodeGroup, encodeOne } from '../../src/engines/postgres/append-batch.js';
import { appendCallText } from '../../src/engines/postgres/append-function.js';
import { appendOneCallText } from '../../src/engines/postgres/append-one-function.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import type { PendingAppend } from '../../src/engines/postgres/group-commit.js';
import { ConcurrencyError, DuplicateEventError, FencedError } from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const pools: pg.Pool[] = [];
const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
});

/** A store on a pool that records which append function each call used. */
function recordingStore(schema = freshSchema()): { store: PostgresEventStore; used: string[] } {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  pool.on('error', () => undefined);
  pools.push(pool);
  const used: string[] = [];
  pool.on('connect', (client) => {
    const target = client as unknown as { query: (...args: unknown[]) => unknown };
    const query = target.query.bind(target);
    target.query = (...args: unknown[]) => {
      const text = (args[0] as { text?: string } | undefined)?.text ?? '';
      if (text.includes('append_one')) used.push('lean');
      else if (text.includes('append_events')) used.push('group');
      return query(...args);
    };
  });
  const store = postgresStore({ pool }, { schema });
  opened.push(store);
  return { store, used };
}

describeWithPostgres('the lean append function', () => {
  it('stores an append made alone with the lean function, and answers with its events', async () => {
    const { store, used } = recordingStore();
    const one = await store.appendToStream('order', [{ name: 'placed', data: { total: 3 } }]);
    const batch = await store.appendToStream(
      'order',
      [
        { name: 'paid', data: { amount: 3 } },
        { name: 'shipped', data: ['a', 'b'] },
      ],
      { expectedVersion: 1 },
    );
    expect(used).toEqual(['lean', 'lean']);
    expect(one).toMatchObject({ version: 1, events: [{ version: 1, position: 1, data: { total: 3 } }] });
    expect(batch.version).toBe(3);
    expect(batch.events.map((event) => [event.version, event.position])).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(await store.readAll()).toEqual([...one.events, ...batch.events]);
    expect(await store.listStreams()).toEqual([{ stream: 'order', version: 3 }]);
  });

  it('answers a retried append with the events as stored, single or batch, even after the stream moved', async () => {
    const { store, used } = recordingStore();
    const single = [{ id: 'retry-1', name: 'placed', data: { n: 1 } }];
    const batch = [
      { id: 'retry-2', name: 'paid', data: { n: 2 } },
      { id: 'retry-3', name: 'shipped', data: { n: 3 } },
    ];
    const first = await store.appendToStream('order', single, { expectedVersion: 'no-stream' });
    const second = await store.appendToStream('order', batch, { expectedVersion: 1 });
    await store.appendToStream('order', [{ name: 'later' }]);
    // The same calls again: the expected versions no longer hold, but retries are answered first.
    expect(await store.appendToStream('order', single, { expectedVersion: 'no-stream' })).toEqual(first);
    expect(await store.appendToStream('order', batch, { expectedVersion: 1 })).toEqual(second);
    expect(await store.streamVersion('order')).toBe(4);
    expect(used.every((fn) => fn === 'lean')).toBe(true);
  });

  it('refuses an id stored elsewhere, or stored with other data, with DuplicateEventError naming it', async () => {
    const { store } = recordingStore();
    await store.appendToStream('a', [{ id: 'taken', name: 'x', data: 1 }]);
    await expect(store.appendToStream('b', [{ id: 'taken', name: 'x', data: 1 }])).rejects.toMatchObject({
      name: DuplicateEventError.name,
      eventId: 'taken',
      stream: 'b',
    });
    // Same stream, same id, other data: not a retry.
    await expect(store.appendToStream('a', [{ id: 'taken', name: 'x', data: 2 }])).rejects.toBeInstanceOf(
      DuplicateEventError,
    );
    // A stored id after the first: the duplicate named is that one.
    await expect(
      store.appendToStream('b', [
        { id: 'fresh', name: 'x' },
        { id: 'taken', name: 'x', data: 1 },
      ]),
    ).rejects.toMatchObject({ eventId: 'taken' });
    expect(await store.streamVersion('b')).toBe(0);
    expect((await store.readAll()).map((event) => event.id)).toEqual(['taken']);
  });

  it('refuses with DuplicateEventError an id another process stored between the checks and the insert', async () => {
    const schema = freshSchema();
    const one = recordingStore(schema);
    const two = recordingStore(schema);
    await Promise.all([one.store.ready(), two.store.ready()]);
    const key = schemaNames(schema).positionLockKey;
    await withAdmin(async (holder) => {
      // Holding L lets both lone appends pass their checks before either inserts; the loser's
      // insert then meets the winner's id in the unique index.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [key]);
      const racing = Promise.allSettled([
        one.store.appendToStream('left', [{ id: 'contested', name: 'claimed', data: 1 }]),
        two.store.appendToStream('right', [{ id: 'contested', name: 'claimed', data: 1 }]),
      ]);
      await waitForPositionLockWaiters(key, 2);
      await holder.query('COMMIT');
      const outcomes = await racing;
      const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(DuplicateEventError);
      expect(refused[0]).toMatchObject({ eventId: 'contested' });
    });
    expect([...one.used, ...two.used].every((fn) => fn === 'lean')).toBe(true);
    const stored = await one.store.readAll();
    expect(stored.map((event) => event.id)).toEqual(['contested']);
    expect(await one.store.listStreams()).toEqual([{ stream: stored[0]?.stream, version: 1 }]);
  });

  it('refuses an expected version that does not hold with ConcurrencyError and the actual version', async () => {
    const { store } = recordingStore();
    await expect(
      store.appendToStream('s', [{ name: 'x' }], { expectedVersion: 'exists' }),
    ).rejects.toMatchObject({
      name: ConcurrencyError.name,
      actual: 0,
    });
    await store.appendToStream('s', [{ name: 'x' }], { expectedVersion: 'no-stream' });
    await expect(
      store.appendToStream('s', [{ name: 'y' }], { expectedVersion: 'no-stream' }),
    ).rejects.toMatchObject({
      name: ConcurrencyError.name,
      actual: 1,
    });
    await expect(store.appendToStream('s', [{ name: 'y' }], { expectedVersion: 3 })).rejects.toMatchObject({
      name: ConcurrencyError.name,
      expected: 3,
      actual: 1,
    });
    await store.appendToStream('s', [{ name: 'y' }], { expectedVersion: 'exists' });
    await store.appendToStream('s', [{ name: 'z' }], { expectedVersion: 2 });
    expect(await store.streamVersion('s')).toBe(3);
  });

  it('fences with a term, keeps the term of an append of no events, and refuses a lower one', async () => {
    const { store, used } = recordingStore();
    // An append of no events raises the term of a stream with no events yet.
    expect(await store.appendToStream('leader', [], { fencingTerm: 5 })).toEqual({
      stream: 'leader',
      events: [],
      version: 0,
    });
    await expect(store.appendToStream('leader', [{ name: 'old' }], { fencingTerm: 4 })).rejects.toMatchObject(
      {
        name: FencedError.name,
        term: 4,
        currentTerm: 5,
      },
    );
    await expect(store.appendToStream('leader', [], { fencingTerm: 4 })).rejects.toBeInstanceOf(FencedError);
    expect(await store.listStreams()).toEqual([]);
    await store.appendToStream('leader', [{ name: 'ruled' }], { fencingTerm: 5 });
    await store.appendToStream('leader', [{ name: 'next' }, { name: 'then' }], { fencingTerm: 6 });
    await expect(
      store.appendToStream('leader', [{ name: 'late' }], { fencingTerm: 5 }),
    ).rejects.toMatchObject({
      currentTerm: 6,
    });
    // The fence is checked before the expected version, as in the group function.
    await expect(
      store.appendToStream('leader', [{ name: 'late' }], { fencingTerm: 1, expectedVersion: 99 }),
    ).rejects.toBeInstanceOf(FencedError);
    // Without a term, an append is never fenced and leaves the term alone.
    await store.appendToStream('leader', [{ name: 'free' }]);
    await expect(store.appendToStream('leader', [], { fencingTerm: 5 })).rejects.toBeInstanceOf(FencedError);
    expect(await store.listStreams()).toEqual([{ stream: 'leader', version: 4 }]);
    expect(used.every((fn) => fn === 'lean')).toBe(true);
  });

  it('sends the same NOTIFY payloads as the group function', async () => {
    const schema = freshSchema();
    const names = schemaNames(schema);
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(store);
    await store.ready();
    const at = '2026-01-02T03:04:05.678Z';
    const append = (stream: string, ids: string[]): PendingAppend => ({
      stream,
      events: ids.map((id) => ({
        id,
        name: 'happened',
        dataJson: `{"id":"${id}","text":"\\"q\\" é"}`,
        metaJson: '{}',
        at,
      })),
      expected: 'any',
      fencingTerm: undefined,
    });
    const payloads = await withAdmin(async (client) => {
      const heard: string[] = [];
      client.on('notification', (message) => heard.push(message.payload ?? ''));
      await client.query(`LISTEN "${names.channel}"`);
      await withAdmin(async (writer) => {
        await writer.query(appendOneCallText(names), encodeOne(append('lean', ['l1']), false));
        await writer.query(appendCallText(names), encodeGroup([append('group', ['g1'])]));
        await writer.query(appendOneCallText(names), encodeOne(append('lean', ['l2', 'l3']), false));
        await writer.query(appendCallText(names), encodeGroup([append('group', ['g2', 'g3'])]));
      });
      while (heard.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));
      return heard;
    });
    // Identical but for the stream, the ids and the positions each was given.
    const neutral = (payload: string | undefined) =>
      payload?.replaceAll(/"(lean|group)"|"[lg](\d)"|"p":\d+/g, '');
    expect(neutral(payloads[0])).toBe(neutral(payloads[1]));
    expect(neutral(payloads[2])).toBe(neutral(payloads[3]));
    expect(JSON.parse(payloads[0] ?? '')).toMatchObject({ p: 1, v: 1, s: 'lean', e: [{ i: 'l1' }] });
    expect(JSON.parse(payloads[2] ?? '')).toMatchObject({
      p: 3,
      v: 2,
      s: 'lean',
      e: [{ i: 'l2' }, { i: 'l3' }],
    });
  });

  it('refuses to run in a transaction that is not READ COMMITTED', async () => {
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema() });
    opened.push(store);
    await store.ready();
    const error = await withAdmin(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      try {
        await client.query(
          appendOneCallText(schemaNames(store.schema)),
          encodeOne(
            {
              stream: 's',
              events: [{ id: 'x', name: 'a', dataJson: '1', metaJson: '{}', at: new Date().toISOString() }],
              expected: 'any',
              fencingTerm: undefined,
            },
            false,
          ),
        );
        return undefined;
      } catch (caught) {
        return caught;
      } finally {
        await client.query('ROLLBACK');
      }
    });
    expect(error).toMatchObject({ code: 'OM001' });
  });
});

/** Resolves once `count` sessions wait for the advisory lock with the bigint key `key`. */
async function waitForPositionLockWaiters(key: string, count: number): Promise<void> {
  const value = BigInt.asUintN(64, BigInt(key));
  for (;;) {
    const waiting = await withAdmin(async (client) => {
      const { rows } = await client.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_locks
          WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND objsubid = 1 AND NOT granted`,
        [String(value >> 32n), String(value & 0xffffffffn)],
      );
      return Number(rows[0]?.waiting ?? 0);
    });
    if (waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
