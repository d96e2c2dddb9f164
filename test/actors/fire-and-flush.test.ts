import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  InvalidEventError,
  memoryStore,
  StoreUnavailableError,
  type ErrorContext,
} from 'omniscient-actors';

class Counter extends Actor {
  Add(by: number) {
    return this.Fire('added', { by });
  }
  AddThree() {
    void this.Fire('added', { by: 1 });
    void this.Fire('added', { by: 2 });
    void this.Fire('added', { by: 3 });
  }
  added(data: { by: number }) {
    this._state['total'] = ((this._state['total'] as number | undefined) ?? 0) + data.by;
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('Fire on Actor', () => {
  it('appends in order and resolves to the stored events', async () => {
    const container = createContainer({ store: memoryStore() });
    const counter = await new Counter('c', container).Load();
    counter.AddThree();
    await counter.Flush();
    const events = await container.store.readStream('c');
    expect(events.map((event) => [event.version, event.data])).toEqual([
      [1, { by: 1 }],
      [2, { by: 2 }],
      [3, { by: 3 }],
    ]);
    expect(counter.state).toEqual({ total: 6 });
    expect(counter.version).toBe(3);
    const stored = await counter.Add(4);
    expect(stored).toMatchObject({ stream: 'c', name: 'added', version: 4, data: { by: 4 } });
    expect(stored.meta.actor).toBe('Counter');
  });

  it('stamps events with the container clock and ids', async () => {
    let next = 0;
    const container = createContainer({
      store: memoryStore(),
      clock: { now: () => new Date('2030-01-02T03:04:05.000Z') },
      newId: () => `00000000-0000-4000-8000-${String(++next).padStart(12, '0')}`,
    });
    const counter = await new Counter('c', container).Load();
    const stored = await counter.Add(1);
    expect(stored.at).toBe('2030-01-02T03:04:05.000Z');
    expect(stored.id).toBe('00000000-0000-4000-8000-000000000001');
  });

  it('refuses invalid data at once and stores nothing', async () => {
    const container = createContainer({ store: memoryStore() });
    const counter = await new Counter('c', container).Load();
    expect(() => counter.Fire('added', { by: 1n })).toThrow(InvalidEventError);
    expect(() => counter.Fire('added', { at: new Map() })).toThrow(/data\.at is an instance of Map/);
    expect(() => counter.Fire('bad name!', {})).toThrow(InvalidEventError);
    await counter.Flush();
    expect(await container.store.readStream('c')).toEqual([]);
    expect(counter.version).toBe(0);
  });

  it('a Fire nobody awaits that fails causes no unhandled rejection; Flush and the error hook see it', async () => {
    const store = memoryStore();
    const seen: Array<{ error: unknown; context: ErrorContext }> = [];
    const container = createContainer({ store, onError: (error, context) => seen.push({ error, context }) });
    const counter = await new Counter('c', container).Load();
    await store.close();
    counter.AddThree();
    const error = await counter.Flush().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.error).toBe(error);
    expect(seen[0]?.context).toMatchObject({ operation: 'append', actor: 'Counter', stream: 'c' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
    // The failure is reported once: the next Flush has nothing to report.
    await expect(counter.Flush()).resolves.toBeUndefined();
    expect(counter.version).toBe(0);
  });

  it('an awaited Fire rejects with the failure', async () => {
    const store = memoryStore();
    const container = createContainer({ store, onError: () => undefined });
    const counter = await new Counter('c', container).Load();
    await store.close();
    await expect(counter.Add(1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(counter.Flush()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('catches up with events another writer appended before applying its own', async () => {
    const container = createContainer({ store: memoryStore() });
    const counter = await new Counter('c', container).Load();
    await container.store.appendToStream('c', [{ name: 'added', data: { by: 100 } }]);
    await counter.Add(1);
    expect(counter.version).toBe(2);
    expect(counter.state).toEqual({ total: 101 });
  });

  it('Load applies only what it has not applied yet, and can be called again', async () => {
    const container = createContainer({ store: memoryStore() });
    const writer = await new Counter('c', container).Load();
    await writer.Add(1);
    const reader = await new Counter('c', container).Load();
    await writer.Add(2);
    await reader.Load();
    await reader.Load();
    expect(reader.state).toEqual({ total: 3 });
    expect(reader.version).toBe(2);
  });

  it('a command with no data stores null', async () => {
    const container = createContainer({ store: memoryStore() });
    const counter = await new Counter('c', container).Load();
    const stored = await counter.Fire('reset');
    expect(stored.data).toBeNull();
  });
});
