/**
 * The edges every engine must treat alike, run against memory, SQLite (a file) and PostgreSQL:
 * what `subscribe` accepts, where a subscription starts, that nothing a subscriber supplies can
 * stop its deliveries, and what a closed store answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventNotification, EventStore, NotificationListener } from '../../src/engines/engine.js';
import { memoryStore } from '../../src/engines/memory/memory-store.js';
import { StoreUnavailableError, UsageError } from '../../src/errors.js';
import { postgresStore } from '../../src/postgres.js';
import { sqliteStore } from '../../src/sqlite.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';
import { rejectionOf } from './rejection-of.js';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-engine-edges-'));
let files = 0;
const opened: EventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Collects notifications; `until(positions)` resolves once every one of them has arrived. */
function collector(onBatch: (notifications: readonly EventNotification[]) => void = () => undefined) {
  const received: EventNotification[] = [];
  const listener: NotificationListener = (notifications) => {
    received.push(...notifications);
    onBatch(notifications);
  };
  const positions = () => received.map((notification) => notification.position);
  return {
    listener,
    positions,
    async until(wanted: readonly number[]): Promise<void> {
      // A guard against hanging, not a measure of speed.
      const deadline = Date.now() + 20_000;
      const arrived = () => wanted.every((position) => positions().includes(position));
      while (!arrived()) {
        if (Date.now() > deadline) {
          throw new Error(`waited for positions ${wanted.join(', ')}, got ${positions().join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

function specifyEdges(openStore: () => EventStore): void {
  function open(): EventStore {
    const store = openStore();
    opened.push(store);
    return store;
  }

  async function positionsOf(store: EventStore, limit?: number): Promise<number[]> {
    return (await store.readAll(limit === undefined ? {} : { limit })).map((event) => event.position);
  }

  it('refuses an `after` that is not a whole number >= 0 with UsageError', async () => {
    const store = open();
    for (const after of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2', null]) {
      const error = await rejectionOf(store.subscribe(() => undefined, { after: after as number }));
      expect(error, `after: ${String(after)}`).toBeInstanceOf(UsageError);
    }
  });

  it('refuses a listener that is not a function, and an onError that is not one, with UsageError', async () => {
    const store = open();
    for (const listener of [undefined, null, 'listener', {}]) {
      const error = await rejectionOf(store.subscribe(listener as unknown as NotificationListener));
      expect(error, `listener: ${String(listener)}`).toBeInstanceOf(UsageError);
    }
    const error = await rejectionOf(
      store.subscribe(() => undefined, { onError: 'log it' as unknown as () => void }),
    );
    expect(error).toBeInstanceOf(UsageError);
    const unreadable = {
      get after(): number {
        throw new Error('unreadable');
      },
    };
    expect(await rejectionOf(store.subscribe(() => undefined, unreadable))).toBeInstanceOf(UsageError);
    expect(await rejectionOf(store.subscribe(() => undefined, { after: 1n as never }))).toBeInstanceOf(
      UsageError,
    );
  });

  it('delivers exactly the events after `after`, then the live ones', async () => {
    const store = open();
    await store.appendToStream('a', [{ name: 'one' }, { name: 'two' }]);
    await store.appendToStream('b', [{ name: 'three' }]);
    const [first, ...rest] = await positionsOf(store);
    const seen = collector();
    await store.subscribe(seen.listener, { after: first as number });
    await seen.until(rest);
    await store.appendToStream('c', [{ name: 'four' }]);
    const all = await positionsOf(store);
    await seen.until(all.slice(1));
    expect(seen.positions()).toEqual(all.slice(1));
  });

  it('delivers every stored event from `after: 0`', async () => {
    const store = open();
    await store.appendToStream('a', [{ name: 'one' }, { name: 'two' }]);
    const seen = collector();
    await store.subscribe(seen.listener, { after: 0 });
    const all = await positionsOf(store);
    await seen.until(all);
    expect(seen.positions()).toEqual(all);
  });

  it('keeps delivering when the listener throws and the onError hook throws too, and crashes nothing', async () => {
    // A rejection nobody handles would end a real process: none may escape the subscription.
    const unhandled: unknown[] = [];
    const capture = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', capture);
    try {
      await deliverThroughThrowingHooks(open());
    } finally {
      process.off('unhandledRejection', capture);
    }
    expect(unhandled).toEqual([]);
  });

  async function deliverThroughThrowingHooks(store: EventStore): Promise<void> {
    // More than one page of a catch-up read, so that a throw between pages would strand the rest.
    await store.appendToStream(
      'many',
      Array.from({ length: 1200 }, () => ({ name: 'counted' })),
    );
    let reports = 0;
    const seen = collector(() => {
      throw new Error('the listener failed');
    });
    await store.subscribe(seen.listener, {
      after: 0,
      onError: () => {
        reports++;
        throw new Error('the error hook failed');
      },
    });
    await seen.until(await positionsOf(store, 1200));
    await store.appendToStream('b', [{ name: 'two' }]);
    const all = await positionsOf(store, 1201);
    await seen.until(all);
    expect(seen.positions()).toEqual(all);
    expect(reports).toBeGreaterThanOrEqual(2);
  }

  it('rejects every call after close with StoreUnavailableError, and closes a subscription harmlessly', async () => {
    const store = open();
    const subscription = await store.subscribe(() => undefined);
    await store.close();
    await store.close();
    await subscription.close();
    for (const call of [
      () => store.subscribe(() => undefined),
      () => store.appendToStream('a', [{ name: 'one' }]),
      () => store.readStream('a'),
      () => store.readAll(),
      () => store.streamVersion('a'),
      () => store.listStreams(),
      () => store.readSnapshot('a', 'key'),
    ]) {
      expect(await rejectionOf(call())).toBeInstanceOf(StoreUnavailableError);
    }
  });
}

describe('memory: the edges every engine shares', () => {
  specifyEdges(() => memoryStore());
});

describe('SQLite: the edges every engine shares', () => {
  specifyEdges(() => sqliteStore({ file: join(directory, `store-${++files}.sqlite`) }));
});

describeWithPostgres('PostgreSQL: the edges every engine shares', () => {
  specifyEdges(() => postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema() }));
});
