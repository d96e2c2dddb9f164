/**
 * A hot stream: many live actors writing one stream at once. Conflicts are the price of writing
 * optimistically, but an actor should pay only for real ones, and learn the winners from what it
 * already hears rather than by pausing and reading.
 */
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  createContainer,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  type EventNotification,
  type EventStore,
  type NotificationListener,
} from 'omniscient-actors';

class Lives extends LiveActor<{ lives: number; history: number[] }> {
  protected override _state = { lives: 0, history: [] as number[] };
  Gain(amount: number) {
    return this.Fire('gained', { amount });
  }
  gained(data: { amount: number }) {
    this._state.lives += data.amount;
    this._state.history.push(data.amount);
  }
}

/** One process's connection to a shared store, whose reads and notifications a test controls. */
interface Connection extends EventStore {
  conflicts: number;
  readsFail: boolean;
  /** Notifications held back until `deliver()`. */
  hold: boolean;
  deliver(): void;
  /** Run once, before the next append reaches the store. */
  beforeNextAppend: (() => Promise<void>) | undefined;
  /** Run at each conflict, before the append is refused. */
  onConflict: (() => void) | undefined;
}

function connectionTo(inner: EventStore): Connection {
  const held: Array<() => void> = [];
  const connection: Connection = {
    ...inner,
    engine: inner.engine,
    limits: inner.limits,
    conflicts: 0,
    readsFail: false,
    hold: false,
    beforeNextAppend: undefined,
    onConflict: undefined,
    deliver() {
      this.hold = false;
      for (const delivery of held.splice(0)) delivery();
    },
    async appendToStream(stream, events, options) {
      const before = connection.beforeNextAppend;
      connection.beforeNextAppend = undefined;
      await before?.();
      try {
        return await inner.appendToStream(stream, events, options);
      } catch (error) {
        if (error instanceof ConcurrencyError) {
          connection.conflicts++;
          connection.onConflict?.();
        }
        throw error;
      }
    },
    readStream(stream, options) {
      if (connection.readsFail) return Promise.reject(new StoreUnavailableError('reads are down'));
      return inner.readStream(stream, options);
    },
    subscribe(listener: NotificationListener, options) {
      return inner.subscribe((notifications: readonly EventNotification[]) => {
        if (connection.hold) held.push(() => listener(notifications));
        else listener(notifications);
      }, options);
    },
  };
  return connection;
}

describe('LiveActor on a hot stream', () => {
  it('actors of one id in one process take turns at the store and never conflict with each other', async () => {
    const store = connectionTo(memoryStore());
    const container = createContainer({ store });
    const writers = await Promise.all(Array.from({ length: 8 }, () => new Lives('hot', container).Load()));
    const fired = writers.flatMap((writer, w) =>
      Array.from({ length: 25 }, (_, i) => writer.Gain(w * 100 + i)),
    );
    await Promise.all(fired);
    await Promise.all(writers.map((writer) => writer.Flush()));

    expect(store.conflicts).toBe(0);
    const events = await store.readStream('hot');
    expect(events.map((event) => event.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const fresh = await new Lives('hot', createContainer({ store })).Load();
    for (const writer of writers) expect(writer.state).toEqual(fresh.state);
  });

  it('after a conflict, learns the winners from its live feed, even while the store cannot be read', async () => {
    const shared = memoryStore();
    const first = connectionTo(shared);
    const second = connectionTo(shared);
    const a = await new Lives('p', createContainer({ store: first })).Load();
    const b = await new Lives('p', createContainer({ store: second })).Load();

    // B does not hear A's event before it appends its own: its append conflicts. The winner's
    // notification arrives after the conflict, as it may from another machine.
    second.hold = true;
    await a.Gain(1);
    second.readsFail = true;
    second.onConflict = () => second.deliver();

    const stored = await b.Gain(10);
    expect(stored.version).toBe(2);
    expect(b.state).toEqual({ lives: 11, history: [1, 10] });
    second.readsFail = false;
    const fresh = await new Lives('p', createContainer({ store: shared })).Load();
    expect(fresh.state).toEqual(b.state);
    await Promise.all([a.Dispose(), b.Dispose()]);
  });

  it('reads the winners when its feed does not bring them', async () => {
    const shared = memoryStore();
    const first = connectionTo(shared);
    const second = connectionTo(shared);
    const a = await new Lives('p', createContainer({ store: first })).Load();
    const b = await new Lives('p', createContainer({ store: second })).Load();

    second.hold = true; // never delivered
    await a.Gain(1);
    const stored = await b.Gain(10);
    expect(stored.version).toBe(2);
    expect(second.conflicts).toBe(1);
    expect(b.state).toEqual({ lives: 11, history: [1, 10] });
    await Promise.all([a.Dispose(), b.Dispose()]);
  });

  it('RerunOnConflict decides again on winners it heard, even while the store cannot be read', async () => {
    class Seats extends LiveActor<{ taken: string[] }> {
      protected override _state = { taken: [] as string[] };
      Take(who: string) {
        return this.RerunOnConflict(() => {
          if (this._state.taken.length >= 2) throw new Error('full');
          return this.Fire('taken', { who });
        });
      }
      taken(data: { who: string }) {
        this._state.taken.push(data.who);
      }
    }
    const shared = memoryStore();
    const first = connectionTo(shared);
    const second = connectionTo(shared);
    const a = await new Seats('room', createContainer({ store: first })).Load();
    const b = await new Seats('room', createContainer({ store: second })).Load();

    // B decides on an empty room; A fills it before B's append arrives; B hears of it only after
    // its conflict, and cannot read the store by then.
    second.hold = true;
    second.beforeNextAppend = async () => {
      await a.Take('ann');
      await a.Take('al');
      second.readsFail = true;
    };
    second.onConflict = () => second.deliver();
    await expect(b.Take('bob')).rejects.toThrow('full');
    expect(second.conflicts).toBe(1);
    expect(b.state.taken).toEqual(['ann', 'al']);
    second.readsFail = false;
    expect((await shared.readStream('room')).map((event) => event.data)).toEqual([
      { who: 'ann' },
      { who: 'al' },
    ]);
    await Promise.all([a.Dispose(), b.Dispose()]);
  });
});
