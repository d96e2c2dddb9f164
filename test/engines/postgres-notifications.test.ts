/**
 * Live notifications of the PostgreSQL engine: what travels in a NOTIFY payload and what is only
 * announced, one listening connection per store, and recovery when that connection is killed.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { EventNotification, NotificationListener } from '../../src/engines/engine.js';
import { StoreUnavailableError, UsageError } from '../../src/errors.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(schema = freshSchema(), maxEventBytes?: number): PostgresEventStore {
  const store = postgresStore(
    { connectionString: POSTGRES_URL },
    { schema, ...(maxEventBytes === undefined ? {} : { maxEventBytes }) },
  );
  opened.push(store);
  return store;
}

/** Collects notifications; `until(n)` resolves once n distinct positions have arrived. */
function collector() {
  const received: EventNotification[] = [];
  let wake: () => void = () => undefined;
  const listener: NotificationListener = (notifications) => {
    received.push(...notifications);
    wake();
  };
  return {
    received,
    listener,
    async until(count: number): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (new Set(received.map((notification) => notification.position)).size < count) {
        if (Date.now() > deadline)
          throw new Error(`only ${received.length} of ${count} notifications arrived`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

function listeningBackends(schema: string): Promise<number[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [`omniscient:listen:${schema}`],
    );
    return rows.map((row) => row.pid);
  });
}

describeWithPostgres('notifications of the PostgreSQL engine', () => {
  it('carries small events whole and announces a 7 999-byte one, which is still delivered', async () => {
    const store = open();
    const seen = collector();
    const subscription = await store.subscribe(seen.listener);
    const big = 'x'.repeat(7_997); // 7 999 bytes of JSON with its quotes
    const { events } = await store.appendToStream('s', [
      { name: 'small', data: { n: 1 } },
      { name: 'big', data: big },
      { name: 'medium', data: 'y'.repeat(3_000) },
    ]);
    await seen.until(3);
    await subscription.close();
    expect(seen.received.map((notification) => [notification.name, notification.position])).toEqual(
      events.map((event) => [event.name, event.position]),
    );
    const [small, announced, medium] = seen.received;
    expect(small?.event).toEqual(events[0]);
    expect(announced?.event).toBeUndefined();
    expect(announced).toMatchObject({ stream: 's', version: 2, name: 'big' });
    expect(medium?.event).toEqual(events[2]);
    // An announcement is completed by reading the store.
    expect((await store.readStream('s', { fromVersion: 2, limit: 1 }))[0]?.data).toBe(big);
  });

  it('splits an append too large for one payload into several, delivered in order', async () => {
    const store = open();
    const seen = collector();
    const subscription = await store.subscribe(seen.listener);
    const { events } = await store.appendToStream(
      'many',
      Array.from({ length: 300 }, (_, index) => ({ name: 'item', data: { index, text: 'é'.repeat(60) } })),
    );
    await seen.until(300);
    await subscription.close();
    expect(seen.received.map((notification) => notification.event)).toEqual(events);
  });

  it('keeps one listening connection per store, whatever the number of subscribers', async () => {
    const schema = freshSchema();
    const store = open(schema);
    const subscribers = Array.from({ length: 5 }, () => collector());
    const subscriptions = await Promise.all(subscribers.map((seen) => store.subscribe(seen.listener)));
    expect(await listeningBackends(schema)).toHaveLength(1);
    await store.appendToStream('s', [{ name: 'happened' }]);
    await Promise.all(subscribers.map((seen) => seen.until(1)));
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
  });

  it('hears events appended by another store on the same schema, as another process would', async () => {
    const schema = freshSchema();
    const listening = open(schema);
    const appending = open(schema);
    const seen = collector();
    const subscription = await listening.subscribe(seen.listener);
    const { events } = await appending.appendToStream('elsewhere', [{ name: 'one' }, { name: 'two' }]);
    await seen.until(2);
    await subscription.close();
    expect(seen.received.map((notification) => notification.event)).toEqual(events);
  });

  it('reconnects after its connection is killed, tells onError, and delivers what was missed, once each', async () => {
    const schema = freshSchema();
    const store = open(schema);
    const seen = collector();
    const errors: unknown[] = [];
    const subscription = await store.subscribe(seen.listener, { onError: (error) => errors.push(error) });
    await store.appendToStream('s', [{ name: 'before' }]);
    await seen.until(1);

    const [pid] = await listeningBackends(schema);
    expect(pid).toBeDefined();
    await withAdmin((client) => client.query('SELECT pg_terminate_backend($1)', [pid]));
    // Appended while nobody listens: their notifications are lost, the catch-up reads them.
    await store.appendToStream('s', [{ name: 'while_down_1' }, { name: 'while_down_2' }]);
    await store.appendToStream('other', [{ name: 'while_down_3' }]);
    await seen.until(4);
    await store.appendToStream('s', [{ name: 'after' }]);
    await seen.until(5);
    await subscription.close();

    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
    const positions = seen.received.map((notification) => notification.position);
    expect(positions).toEqual((await store.readAll()).map((event) => event.position));
    expect((await listeningBackends(schema)).filter((backend) => backend !== pid)).toHaveLength(1);
  });

  it('reads the store instead of trusting a payload the append function did not write', async () => {
    const schema = freshSchema();
    const store = open(schema);
    const seen = collector();
    const subscription = await store.subscribe(seen.listener);
    await withAdmin((client) =>
      client.query('SELECT pg_notify($1, $2)', [schemaNames(schema).channel, '{"p":1,"e":"not ours"}']),
    );
    await store.appendToStream('s', [{ name: 'real' }]);
    await seen.until(1);
    await subscription.close();
    expect(seen.received.map((notification) => notification.name)).toEqual(['real']);
  });

  it('works through a pool the caller owns, and gives its connection back clean', async () => {
    const schema = freshSchema();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
    pool.on('error', () => undefined);
    try {
      const store = postgresStore({ pool }, { schema });
      const seen = collector();
      const subscription = await store.subscribe(seen.listener);
      await store.appendToStream('s', [{ name: 'happened' }]);
      await seen.until(1);
      await subscription.close();
      await store.close();
      // The pool is still the caller's, and none of its connections still listens.
      const clients = await Promise.all(Array.from({ length: 3 }, () => pool.connect()));
      try {
        for (const client of clients) {
          const { rows } = await client.query('SELECT pg_listening_channels() AS channel');
          expect(rows).toEqual([]);
        }
      } finally {
        for (const client of clients) client.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('refuses a pool of one connection with UsageError naming the fix, instead of hanging', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    pool.on('error', () => undefined);
    try {
      expect(() => postgresStore({ pool }, { schema: freshSchema() })).toThrow(UsageError);
      expect(() => postgresStore({ pool }, { schema: freshSchema() })).toThrow(
        /max >= 2, or a \{ connectionString \}/,
      );
    } finally {
      await pool.end();
    }
  });

  it('subscribes and appends through a pool of two connections', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on('error', () => undefined);
    try {
      const store = postgresStore({ pool }, { schema: freshSchema() });
      const seen = collector();
      const subscription = await store.subscribe(seen.listener);
      await store.appendToStream('s', [{ name: 'happened' }]);
      await seen.until(1);
      await subscription.close();
      await store.close();
    } finally {
      await pool.end();
    }
  });
});
