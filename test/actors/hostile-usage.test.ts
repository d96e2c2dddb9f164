/**
 * What a hostile (or just unlucky) user can do to an actor, and what the actor must do instead of
 * storing history it refuses, losing count, or settling a Fire that was not stored.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  DuplicateEventError,
  HandlerError,
  LiveActor,
  memoryStore,
  UsageError,
  type Container,
} from 'omniscient-actors';
import { gatedStore } from './gated-store.js';

const quietly = { logger: { debug() {}, info() {}, warn() {}, error() {} }, onError: () => undefined };

class Account extends Actor<{ balance: number }> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { balance: 0 };
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
  withdrawn(data: { amount: number }) {
    if (data.amount > this._state.balance) throw new Error('overdrawn');
    this._state.balance -= data.amount;
  }
}

async function freshBalance(container: Container, id: string): Promise<number> {
  return (await new Account(id, container).Load()).state.balance;
}

describe('Actor with another writer on its stream', () => {
  it('never stores a withdrawal the other writer left uncovered: the Fire rejects, the stream loads', async () => {
    const container = createContainer({ store: memoryStore(), ...quietly });
    await container.store.appendToStream('acc', [{ name: 'deposited', data: { amount: 100 } }]);
    const a = await new Account('acc', container).Load();
    const b = await new Account('acc', container).Load();
    await b.Fire('withdrawn', { amount: 80 });
    await expect(a.Fire('withdrawn', { amount: 30 })).rejects.toBeInstanceOf(HandlerError);
    expect((await container.store.readStream('acc')).map((event) => event.name)).toEqual([
      'deposited',
      'withdrawn',
    ]);
    expect(a.state.balance).toBe(20);
    expect(await freshBalance(container, 'acc')).toBe(20);
  });

  it('never appends an event refused while its batch waited behind a slow append', async () => {
    const inner = memoryStore();
    const store = gatedStore(inner);
    const container = createContainer({ store, ...quietly });
    await inner.appendToStream('acc', [{ name: 'deposited', data: { amount: 100 } }]);
    const a = await new Account('acc', container).Load();
    await inner.appendToStream('acc', [{ name: 'withdrawn', data: { amount: 50 } }]);
    store.holdReplies();
    const first = a.Fire('withdrawn', { amount: 30 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Refused at once if the first append already met the other writer, or later by the rebase.
    const second = new Promise((resolve) => resolve(a.Fire('withdrawn', { amount: 60 })));
    store.release();
    await expect(first).resolves.toMatchObject({ version: 3 });
    await expect(second).rejects.toBeInstanceOf(HandlerError);
    expect(await inner.streamVersion('acc')).toBe(3);
    expect(await freshBalance(container, 'acc')).toBe(20);
  });
});

describe('a LiveActor', () => {
  it('that cannot apply another class’s stored event stays just before it, as a fresh Load does', async () => {
    class Lax extends LiveActor {
      tagged() {}
    }
    class Strict extends LiveActor<{ notes: number }> {
      override _state = { notes: 0 };
      tagged(data: { tag: string }) {
        if (data.tag.length > 3) throw new Error('tag too long');
      }
      noted() {
        this._state.notes++;
      }
    }
    const container = createContainer({ store: memoryStore(), ...quietly });
    const strict = new Strict('x', container);
    const lax = await new Lax('x', container).Load();
    await lax.Fire('tagged', { tag: 'longer' });
    await expect(strict.Fire('noted')).rejects.toBeInstanceOf(HandlerError);
    await expect(strict.Fire('noted')).rejects.toBeInstanceOf(HandlerError);
    expect(strict.version).toBe(0);
    expect(strict.confirmedVersion).toBe(0);
    expect(strict.state).toEqual({ notes: 0 });
    expect((await container.store.readStream('x')).map((event) => event.name)).toEqual(['tagged']);
    await lax.Dispose();
  });

  it('counts events without a handler as a fresh Load does, after a rebase', async () => {
    class Pinger extends LiveActor {
      opened() {}
    }
    const container = createContainer({ store: memoryStore() });
    const pinger = await new Pinger('p', container).Load();
    await container.store.appendToStream('p', [{ name: 'opened' }]);
    await pinger.Fire('pinged');
    await pinger.Flush();
    const fresh = await new Pinger('p', container).Load();
    expect(pinger.version).toBe(fresh.version);
    expect(pinger.unhandledEvents).toBe(fresh.unhandledEvents);
    await Promise.all([pinger.Dispose(), fresh.Dispose()]);
  });

  it('refuses an event id that is already stored with DuplicateEventError, and takes it out of the state', async () => {
    class Counter extends LiveActor<{ n: number }> {
      override _state = { n: 0 };
      bumped() {
        this._state.n++;
      }
    }
    const store = memoryStore();
    const sequence = () => {
      let n = 0;
      return () => `evt-${++n}`;
    };
    const first = await new Counter('c', createContainer({ store, newId: sequence() })).Load();
    await first.Fire('bumped');
    await first.Dispose();
    const second = await new Counter('c', createContainer({ store, newId: sequence(), ...quietly })).Load();
    await expect(second.Fire('bumped')).rejects.toBeInstanceOf(DuplicateEventError);
    expect(second.state).toEqual({ n: 1 });
    expect(second.version).toBe(1);
    expect(await store.readStream('c')).toHaveLength(1);
    await second.Dispose();
  });

  it('keeps its metadata to itself: a handler changing event.meta changes nothing stored', async () => {
    class Audit extends LiveActor<{ last?: Record<string, unknown> }> {
      happened(_data: unknown, event: { meta: Record<string, unknown> }) {
        this._state.last = event.meta;
      }
    }
    const container = createContainer({ store: memoryStore() });
    const audit = await new Audit('a', container).Load();
    const stored = audit.Fire('happened');
    (audit.state.last as Record<string, unknown>)['actor'] = 'Mallory';
    expect((await stored).meta).toEqual({ actor: 'Audit' });
    expect((await container.store.readStream('a'))[0]?.meta).toEqual({ actor: 'Audit' });
    await audit.Dispose();
  });
});

describe('RerunOnConflict', () => {
  class Room extends LiveActor {
    Greet() {
      return this.RerunOnConflict(() => this.Fire('greeted'));
    }
    greeted() {}
  }

  it('refuses to start on a disposed actor', async () => {
    const room = await new Room('r', createContainer({ store: memoryStore() })).Load();
    await room.Dispose();
    expect(() => room.Greet()).toThrow(UsageError);
  });

  it('cannot be started from a handler: replaying would store more events', async () => {
    class Echo extends LiveActor {
      opened() {
        void this.RerunOnConflict(() => {
          void this.Fire('greeted');
        });
      }
    }
    const container = createContainer({ store: memoryStore(), ...quietly });
    const echo = await new Echo('e', container).Load();
    expect(() => echo.Fire('opened')).toThrow(HandlerError);
    expect(await container.store.readStream('e')).toEqual([]);
    await echo.Dispose();
  });

  it('may return the promise of the event its command fired', async () => {
    const room = await new Room('r', createContainer({ store: memoryStore() })).Load();
    await expect(room.Greet()).resolves.toMatchObject({ name: 'greeted', version: 1 });
    await room.Dispose();
  });
});

describe('error reporting', () => {
  it('leaves no unhandled rejection when both the error hook and the logger throw', async () => {
    const failing = memoryStore();
    await failing.close();
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const container = createContainer({
        store: failing,
        onError: () => {
          throw new Error('hook bug');
        },
        logger: {
          debug() {},
          info() {},
          warn() {},
          error() {
            throw new Error('logger bug');
          },
        },
      });
      const actor = new Account('x', container);
      void actor.Fire('deposited', { amount: 1 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(unhandled).toEqual([]);
      await expect(actor.Flush()).rejects.toThrow();
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
