/**
 * The actor core under awkward timing: data frozen at Fire, Fire during Load, Dispose during Load,
 * async handlers, and Flush/Dispose waiting for re-runnable commands.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  HandlerError,
  LiveActor,
  memoryStore,
  UsageError,
  type Container,
} from 'omniscient-actors';
import { LiveFeed } from '../../src/live/live-feed.js';
import { gatedStore } from './gated-store.js';

class Orders extends Actor<{ quantities: number[] }> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { quantities: [] };
  }
  ordered(data: { qty: number }) {
    this._state.quantities.push(data.qty);
  }
}

class LiveOrders extends LiveActor<{ quantities: number[] }> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { quantities: [] };
  }
  ordered(data: { qty: number }) {
    this._state.quantities.push(data.qty);
  }
}

/** Records the order events were applied in. */
class Journal extends LiveActor<{ seen: string[] }> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { seen: [] };
  }
  noted(data: { label: string }) {
    this._state.seen.push(data.label);
  }
}

const quietly = { logger: { debug() {}, info() {}, warn() {}, error() {} }, onError: () => undefined };

describe('Fire', () => {
  for (const Kind of [Orders, LiveOrders]) {
    it(`freezes the data when it is called, not when the append runs (${Kind.name})`, async () => {
      const container = createContainer({ store: memoryStore() });
      const orders = await new Kind('o', container).Load();
      const data = { qty: 1 };
      const first = orders.Fire('ordered', data);
      data.qty = 2;
      const second = orders.Fire('ordered', data);
      data.qty = 3;
      expect((await first).data).toEqual({ qty: 1 });
      expect((await second).data).toEqual({ qty: 2 });
      const stored = await container.store.readStream('o');
      expect(stored.map((event) => event.data)).toEqual([{ qty: 1 }, { qty: 2 }]);
      expect(orders.state.quantities).toEqual([1, 2]);
    });
  }

  it('refuses, with UsageError and nothing stored, an event fired on a state that cannot be copied', async () => {
    class Callbacks extends Actor<{ onDone?: () => void }> {
      Remember() {
        this._state.onDone = () => undefined;
        return this.Fire('remembered');
      }
    }
    const container = createContainer({ store: memoryStore() });
    const actor = await new Callbacks('c', container).Load();
    expect(() => actor.Remember()).toThrow(UsageError);
    expect(() => actor.Remember()).toThrow(/_state.onDone is a function/);
    expect(await container.store.readStream('c')).toEqual([]);
  });

  it('refuses a state holding a class instance, which a copy would silently turn into a plain object', async () => {
    class Money {
      constructor(readonly cents: number) {}
      plus(cents: number) {
        return new Money(this.cents + cents);
      }
    }
    class Wallet extends Actor<{ money: Money }> {
      override _state = { money: new Money(0) };
      earned(data: { cents: number }) {
        this._state.money = this._state.money.plus(data.cents);
      }
    }
    const container = createContainer({ store: memoryStore() });
    const wallet = await new Wallet('w', container).Load();
    expect(() => wallet.Fire('earned', { cents: 5 })).toThrow(/_state.money is an instance of Money/);
    expect(await container.store.readStream('w')).toEqual([]);
  });

  it('during Load applies the pending event after every stored one', async () => {
    const container = createContainer({ store: memoryStore() });
    await container.store.appendToStream(
      'j',
      ['v1', 'v2', 'v3'].map((label) => ({ name: 'noted', data: { label } })),
    );
    const journal = new Journal('j', container);
    const loading = journal.Load();
    const fired = journal.Fire('noted', { label: 'mine' });
    await loading;
    // Whatever is still pending sits on top of every stored event, never among them.
    expect(journal.state.seen).toEqual(['v1', 'v2', 'v3', 'mine']);
    await fired;
    await journal.Flush();
    expect(journal.state.seen).toEqual(['v1', 'v2', 'v3', 'mine']);
    const fresh = await new Journal('j', container).Load();
    expect(journal.state).toEqual(fresh.state);
    expect(journal.version).toBe(4);
    await Promise.all([journal.Dispose(), fresh.Dispose()]);
  });
});

describe('Dispose', () => {
  it('during Load leaves no live subscription, and the actor applies nothing more', async () => {
    const container = createContainer({ store: memoryStore() });
    const journal = new Journal('j', container);
    const loading = journal.Load();
    const disposing = journal.Dispose();
    await loading;
    await disposing;
    expect(LiveFeed.of(container.store).consumerCount).toBe(0);
    await container.store.appendToStream('j', [{ name: 'noted', data: { label: 'later' } }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(journal.state.seen).toEqual([]);
  });

  it('after two concurrent Loads leaves no live subscription', async () => {
    const container = createContainer({ store: memoryStore() });
    const journal = new Journal('j', container);
    await Promise.all([journal.Load(), journal.Load()]);
    await journal.Dispose();
    expect(LiveFeed.of(container.store).consumerCount).toBe(0);
  });
});

describe('an async handler', () => {
  it('is refused by Load without leaving its rejection unhandled', async () => {
    class Hasty extends Actor {
      async noted() {
        await Promise.resolve();
        throw new Error('too late');
      }
    }
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const container = createContainer({ store: memoryStore() });
      await container.store.appendToStream('h', [{ name: 'noted' }]);
      const error = await new Hasty('h', container).Load().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).cause).toBeInstanceOf(UsageError);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('RerunOnConflict', () => {
  it('Flush waits for the events its command fired', async () => {
    const store = gatedStore();
    const container = createContainer({ store, ...quietly });
    const journal = await new Journal('j', container).Load();
    store.holdReplies();
    const run = journal.RerunOnConflict(() => {
      void journal.Fire('noted', { label: 'once' });
    });
    let flushed = false;
    const flushing = journal.Flush().then(() => (flushed = true));
    await store.notified('j', 1);
    expect(flushed).toBe(false);
    store.release();
    await flushing;
    await run;
    expect(await store.readStream('j')).toHaveLength(1);
    expect(journal.confirmedVersion).toBe(1);
    await journal.Dispose();
  });

  it('Dispose waits for the events its command fired', async () => {
    const container = createContainer({ store: memoryStore() });
    const journal = await new Journal('j', container).Load();
    void journal.RerunOnConflict(() => {
      void journal.Fire('noted', { label: 'once' });
    });
    await journal.Dispose();
    expect(await container.store.readStream('j')).toHaveLength(1);
  });
});
