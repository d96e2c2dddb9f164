/**
 * `LiveActor` against another writer of its stream, with the other writer's commits placed exactly
 * where they hurt, so that each outcome is certain rather than likely. The other writer uses its own
 * connection to the same SQLite file, as another process would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainer, type EventStore } from '../../src/index.js';
import { sqliteStore } from '../../src/sqlite.js';
import { Login, Tally } from './workers/actors.js';

let directory: string;
let connections: EventStore[];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-contention-'));
  connections = [];
});

afterEach(async () => {
  await Promise.all(connections.map((store) => store.close()));
  rmSync(directory, { recursive: true, force: true });
});

/** A connection to this test's file, closed after the test. */
function connect(): EventStore {
  const store = sqliteStore({ file: join(directory, 'shared.sqlite'), synchronous: 'normal' });
  connections.push(store);
  return store;
}

/** Appends to `stream` once per turn of the event loop until stopped. */
function keepAppending(store: EventStore, stream: string): { stop(): Promise<void> } {
  let stopped = false;
  let appended = 0;
  const running = (async () => {
    while (!stopped) {
      await store.appendToStream(stream, [{ name: 'item_added', data: { id: `other-${++appended}` } }]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/** `store`, except that `beforeRead` runs before each `readStream` call. */
function onEachRead(store: EventStore, beforeRead: () => Promise<void>): EventStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'readStream') {
        return async (...args: Parameters<EventStore['readStream']>) => {
          await beforeRead();
          return target.readStream(...args);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('LiveActor against another writer of its stream', () => {
  it('an event lands while the other writer appends on every turn of the event loop', async () => {
    // Reading the winners and appending right after takes no turn of the loop, so there is
    // always a moment to land in; an actor that waits between the two never finds it.
    // The outcome is asserted below; the error hook need not also print it.
    const quiet = { store: connect(), onError: () => undefined };
    const actor = await new Tally('busy', createContainer(quiet)).Load();
    const other = keepAppending(connect(), 'busy');
    try {
      const stored = await actor.Add('mine');
      const mine = (await connect().readStream('busy')).filter(
        (event) => (event.data as { id: string }).id === 'mine',
      );
      expect(mine.map((event) => event.version)).toEqual([stored.version]);
    } finally {
      await other.stop();
      await actor.Dispose();
    }
  });

  it('a command re-run on conflict never lands on top of an event it did not see', async () => {
    const otherProcess = connect();
    await otherProcess.appendToStream('login', [
      { name: 'login_attempted', data: {} },
      { name: 'login_attempted', data: {} },
    ]);
    let reads: number | undefined;
    const actorConnection = onEachRead(connect(), async () => {
      if (reads === undefined) return;
      // The other process commits the third attempt just after the first command has read the
      // stream (and decided), and just before the second command reads it.
      if (++reads === 2) await otherProcess.appendToStream('login', [{ name: 'login_attempted', data: {} }]);
    });
    const actor = await new Login('login', createContainer({ store: actorConnection })).Load();
    expect(actor.state).toEqual({ attempts: 2 });
    reads = 0;

    const results = await Promise.all([actor.TryLogin(), actor.TryLogin()]);

    const stored = await otherProcess.readStream('login');
    expect(stored.map((event) => event.name)).toEqual([
      'login_attempted',
      'login_attempted',
      'login_attempted',
    ]);
    expect(results).toEqual([false, false]);
    expect(actor.state).toEqual({ attempts: 3 });
    await actor.Dispose();
  });
});
