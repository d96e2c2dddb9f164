import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  HandlerError,
  InvalidEventError,
  LiveActor,
  MAX_UPCAST_STEPS,
  memoryStore,
  UsageError,
  type EventStore,
  type StoredEvent,
  type Upcasters,
} from 'omniscient-actors';
import { Given } from 'omniscient-actors/testing';
import { eventually } from '../support/eventually.js';

interface ShopEvents {
  signed_up: { email: string };
  deposited: { amount: number };
  item_added: { sku: string };
  paid: { amount: number };
  noted: { body: string; tags: string[] };
}

interface ShopState {
  email?: string;
  balance: number;
  items: string[];
  notes: string[];
  seen: Array<{ name: string; version: number; id: string }>;
}

/** A shop whose events changed shape over the years; the handlers know only today's shapes. */
class Shop extends Actor<ShopState, ShopEvents> {
  static upcasters: Upcasters<ShopEvents, { note_v2: { body: string } }> = {
    // Renamed.
    registered: (data: { mail: string }) => ({ name: 'signed_up', data: { email: data.mail } }),
    // Reshaped in place: old data held cents; today's data passes through unchanged.
    deposited: (data: { cents: number } | { amount: number }) =>
      'cents' in data
        ? { name: 'deposited', data: { amount: data.cents / 100 } }
        : { name: 'deposited', data },
    // Split in two.
    checked_out: (data: { sku: string; amount: number }) => [
      { name: 'item_added', data: { sku: data.sku } },
      { name: 'paid', data: { amount: data.amount } },
    ],
    // Dropped: it never meant anything to the state.
    heartbeat: () => [],
    // A chain: v1 → v2 → today.
    note_v1: (data: { text: string }) => ({ name: 'note_v2', data: { body: data.text } }),
    note_v2: (data: { body: string }) => ({ name: 'noted', data: { body: data.body, tags: [] } }),
  };

  protected override _state: ShopState = { balance: 0, items: [], notes: [], seen: [] };

  Deposit(amount: number) {
    return this.Fire('deposited', { amount });
  }

  signed_up(data: ShopEvents['signed_up'], event: StoredEvent) {
    this.#see(event);
    this._state.email = data.email;
  }
  deposited(data: ShopEvents['deposited'], event: StoredEvent) {
    this.#see(event);
    this._state.balance += data.amount;
  }
  item_added(data: ShopEvents['item_added'], event: StoredEvent) {
    this.#see(event);
    this._state.items.push(data.sku);
  }
  paid(data: ShopEvents['paid'], event: StoredEvent) {
    this.#see(event);
    this._state.balance -= data.amount;
  }
  noted(data: ShopEvents['noted'], event: StoredEvent) {
    this.#see(event);
    this._state.notes.push(`${data.body}[${data.tags.join(',')}]`);
  }

  #see(event: StoredEvent) {
    this._state.seen.push({ name: event.name, version: event.version, id: event.id });
  }
}

/** Another class on the same stream, with no upcasters: it sees the events as stored. */
class Auditor extends Actor<{ names: string[] }> {
  protected override _state = { names: [] as string[] };
  registered() {
    this._state.names.push('registered');
  }
  signed_up() {
    this._state.names.push('signed_up');
  }
}

async function storeWith(
  stream: string,
  events: Array<{ name: string; data?: unknown }>,
): Promise<EventStore> {
  const store = memoryStore();
  await store.appendToStream(stream, events);
  return store;
}

async function loadShop(events: Array<{ name: string; data?: unknown }>): Promise<[Shop, EventStore]> {
  const store = await storeWith('shop', events);
  return [await new Shop('shop', createContainer({ store })).Load(), store];
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('upcasting: old events read in their current meaning', () => {
  it('a renamed event reaches the handler of its new name, with the stored event’s other fields', async () => {
    const [shop, store] = await loadShop([{ name: 'registered', data: { mail: 'a@example.com' } }]);
    const [stored] = await store.readStream('shop');
    expect(shop.state.email).toBe('a@example.com');
    expect(shop.state.seen).toEqual([{ name: 'signed_up', version: 1, id: stored?.id }]);
    expect(shop.version).toBe(1);
  });

  it('a reshaped event reaches its handler in the new shape, and new-shaped data passes through', async () => {
    const [shop] = await loadShop([
      { name: 'deposited', data: { cents: 250 } },
      { name: 'deposited', data: { amount: 3 } },
    ]);
    expect(shop.state.balance).toBe(5.5);
    expect(shop.version).toBe(2);
  });

  it('a split event applies its parts in order, all at the stored event’s version', async () => {
    const [shop] = await loadShop([
      { name: 'deposited', data: { amount: 10 } },
      { name: 'checked_out', data: { sku: 'hat', amount: 4 } },
      { name: 'deposited', data: { amount: 1 } },
    ]);
    expect(shop.state.items).toEqual(['hat']);
    expect(shop.state.balance).toBe(7);
    expect(shop.state.seen.map(({ name, version }) => [name, version])).toEqual([
      ['deposited', 1],
      ['item_added', 2],
      ['paid', 2],
      ['deposited', 3],
    ]);
    expect(shop.version).toBe(3);
  });

  it('a dropped event reaches no handler and still counts for the version', async () => {
    const [shop] = await loadShop([{ name: 'heartbeat' }, { name: 'deposited', data: { amount: 2 } }]);
    expect(shop.state.seen.map(({ name, version }) => [name, version])).toEqual([['deposited', 2]]);
    expect(shop.version).toBe(2);
    expect(shop.unhandledEvents).toBe(0);
  });

  it('chains compose: v1 goes through the v2 upcaster too, and v2 alone through its own', async () => {
    const [shop] = await loadShop([
      { name: 'note_v1', data: { text: 'first' } },
      { name: 'note_v2', data: { body: 'second' } },
      { name: 'noted', data: { body: 'third', tags: ['x'] } },
    ]);
    expect(shop.state.notes).toEqual(['first[]', 'second[]', 'third[x]']);
  });

  it('an output that keeps its upcaster’s own name is not upcast again', async () => {
    const calls: unknown[] = [];
    class Counting extends Actor<{ total: number }> {
      static upcasters: Upcasters = {
        counted: (data: { by: number }) => {
          calls.push(data);
          return { name: 'counted', data: { by: data.by * 2 } };
        },
      };
      protected override _state = { total: 0 };
      counted(data: { by: number }) {
        this._state.total += data.by;
      }
    }
    const store = await storeWith('c', [{ name: 'counted', data: { by: 1 } }]);
    const counting = await new Counting('c', createContainer({ store })).Load();
    expect(counting.state.total).toBe(2);
    expect(calls).toEqual([{ by: 1 }]);
  });

  it('upcast data reaches the handler as the store would give it back', async () => {
    let received: unknown;
    class Dated extends Actor {
      static upcasters: Upcasters = {
        stamped: () => ({
          name: 'dated',
          data: { on: new Date('2024-01-02T03:04:05.000Z'), gone: undefined },
        }),
      };
      dated(data: unknown) {
        received = data;
      }
    }
    const store = await storeWith('d', [{ name: 'stamped' }]);
    await new Dated('d', createContainer({ store })).Load();
    expect(received).toEqual({ on: '2024-01-02T03:04:05.000Z' });
  });

  it('upcasting changes neither the store nor what another class on the stream sees', async () => {
    const [shop, store] = await loadShop([
      { name: 'registered', data: { mail: 'a@example.com' } },
      { name: 'checked_out', data: { sku: 'hat', amount: 4 } },
    ]);
    expect(shop.state.email).toBe('a@example.com');
    const stored = await store.readStream('shop');
    expect(stored.map(({ name, data }) => ({ name, data }))).toEqual([
      { name: 'registered', data: { mail: 'a@example.com' } },
      { name: 'checked_out', data: { sku: 'hat', amount: 4 } },
    ]);
    const auditor = await new Auditor('shop', createContainer({ store })).Load();
    expect(auditor.state.names).toEqual(['registered']);
    expect(auditor.unhandledEvents).toBe(1);
  });

  it('an event the actor fires is upcast when applied, as a fresh Load would, and stored as fired', async () => {
    class Registering extends Shop {
      Register(mail: string) {
        return this.Fire('registered' as keyof ShopEvents, { mail } as never);
      }
    }
    const store = memoryStore();
    const container = createContainer({ store });
    const shop = await new Registering('r', container).Load();
    const stored = await shop.Register('b@example.com');
    await shop.Deposit(2);
    expect(stored).toMatchObject({ name: 'registered', data: { mail: 'b@example.com' }, version: 1 });
    expect(shop.state.email).toBe('b@example.com');
    const fresh = await new Registering('r', container).Load();
    expect(fresh.state).toEqual(shop.state);
  });

  it('an Actor meeting an old-shaped event at its append rebases on its current meaning', async () => {
    const store = memoryStore();
    const shop = await new Shop('s', createContainer({ store })).Load();
    // Another writer, unseen by the actor, stores an old-shaped event first.
    await store.appendToStream('s', [{ name: 'deposited', data: { cents: 500 } }]);
    const stored = await shop.Deposit(1);
    expect(stored.version).toBe(2);
    expect(shop.state.balance).toBe(6);
    expect(shop.state.seen.map(({ name, version }) => [name, version])).toEqual([
      ['deposited', 1],
      ['deposited', 2],
    ]);
  });
});

describe('upcasting: inherited maps', () => {
  class Base extends Actor<{ log: string[] }> {
    static upcasters: Upcasters = {
      a_old: () => ({ name: 'a', data: 'from base' }),
      b_old: () => ({ name: 'b', data: 'from base' }),
    };
    protected override _state = { log: [] as string[] };
    a(data: string) {
      this._state.log.push(`a ${data}`);
    }
    b(data: string) {
      this._state.log.push(`b ${data}`);
    }
    c(data: string) {
      this._state.log.push(`c ${data}`);
    }
  }
  class Derived extends Base {
    static override upcasters: Upcasters = {
      b_old: () => ({ name: 'b', data: 'from derived' }),
      c_old: () => ({ name: 'c', data: 'from derived' }),
    };
  }
  class Plain extends Derived {}
  const events = [{ name: 'a_old' }, { name: 'b_old' }, { name: 'c_old' }];

  it('a subclass inherits its bases’ upcasters and the most derived entry wins per name', async () => {
    const store = await storeWith('i', events);
    const container = createContainer({ store });
    const derived = await new Derived('i', container).Load();
    expect(derived.state.log).toEqual(['a from base', 'b from derived', 'c from derived']);
    const plain = await new Plain('i', container).Load();
    expect(plain.state.log).toEqual(derived.state.log);
  });

  it('a base class keeps its own map', async () => {
    const store = await storeWith('i', events);
    const base = await new Base('i', createContainer({ store })).Load();
    expect(base.state.log).toEqual(['a from base', 'b from base']);
    expect(base.unhandledEvents).toBe(1);
  });
});

describe('upcasting: refused upcasters', () => {
  it(`a cycle (a chain over ${MAX_UPCAST_STEPS} steps) is a UsageError naming the names`, async () => {
    class Cycling extends Actor {
      static upcasters: Upcasters = {
        ping: () => ({ name: 'pong', data: null }),
        pong: () => ({ name: 'ping', data: null }),
      };
      ping() {}
    }
    const store = await storeWith('cy', [{ name: 'start' }, { name: 'ping' }]);
    const cycling = new Cycling('cy', createContainer({ store }));
    const error = await rejectionOf(cycling.Load());
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('Cycling');
    expect((error as Error).message).toContain('ping → pong → ping');
    expect(cycling.version).toBe(1);
  });

  it('a chain of exactly the limit is followed to its end', async () => {
    const upcasters: Record<string, () => { name: string; data: number }> = {};
    for (let step = 0; step < MAX_UPCAST_STEPS; step++) {
      upcasters[`v${step}`] = () => ({
        name: step + 1 === MAX_UPCAST_STEPS ? 'current' : `v${step + 1}`,
        data: step,
      });
    }
    class LongHistory extends Actor<{ last?: number }> {
      static upcasters: Upcasters = upcasters;
      current(data: number) {
        this._state.last = data;
      }
    }
    const store = await storeWith('long', [{ name: 'v0' }]);
    const actor = await new LongHistory('long', createContainer({ store })).Load();
    expect(actor.state.last).toBe(MAX_UPCAST_STEPS - 1);
  });

  const badMaps: Array<[string, unknown, string]> = [
    ['null', null, 'Bad.upcasters must be a plain object'],
    ['an array', [() => ({ name: 'x' })], 'Bad.upcasters must be a plain object'],
    ['a value that is not a function', { old: 'new' }, 'Bad.upcasters.old must be a function'],
    ['a key that is not an event name', { 'old name': () => ({ name: 'x' }) }, 'the entry "old name"'],
    [
      'an async upcaster',
      { old: async () => ({ name: 'x' }) },
      'Bad.upcasters.old must be a plain synchronous',
    ],
    ['a symbol key', { [Symbol('old')]: () => ({ name: 'x' }) }, 'Bad.upcasters has a symbol key'],
  ];

  it.each(badMaps)(
    'a map with %s is refused with a UsageError naming the class and the entry',
    async (_, map, message) => {
      class Bad extends Actor {
        static upcasters = map;
      }
      const store = await storeWith('bad', [{ name: 'old' }]);
      const error = await rejectionOf(new Bad('bad', createContainer({ store })).Load());
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(message);
      // Firing applies at once: the map is refused there too, and nothing is stored.
      const fresh = new Bad('empty', createContainer({ store }));
      expect(() => fresh.Fire('anything')).toThrow(UsageError);
      expect(await store.readStream('empty')).toEqual([]);
    },
  );

  it('an upcaster that throws fails like a handler: a HandlerError naming the class, the stored event and the upcaster', async () => {
    const failure = new Error('cannot read this');
    class Throwing extends Actor<{ count: number }> {
      static upcasters: Upcasters = {
        legacy: () => {
          throw failure;
        },
      };
      protected override _state = { count: 0 };
      counted() {
        this._state.count++;
      }
    }
    const store = await storeWith('t', [{ name: 'counted' }, { name: 'legacy' }, { name: 'counted' }]);
    const throwing = new Throwing('t', createContainer({ store }));
    const error = await rejectionOf(throwing.Load());
    expect(error).toBeInstanceOf(HandlerError);
    const handlerError = error as HandlerError;
    expect(handlerError.stage).toBe('upcaster');
    expect(handlerError.actor).toBe('Throwing');
    expect(handlerError.event).toMatchObject({ name: 'legacy', stream: 't', version: 2 });
    expect(handlerError.cause).toBe(failure);
    expect(handlerError.message).toContain('Throwing');
    expect(handlerError.message).toContain('"legacy"');
    expect(handlerError.message).toContain('upcaster');
    expect(throwing.version).toBe(1);
    expect(throwing.state.count).toBe(1);
  });

  const malformed: Array<[string, () => unknown, new (...args: never[]) => Error, string]> = [
    ['a number', () => 42, UsageError, 'returned the number 42'],
    ['undefined', () => undefined, UsageError, 'returned undefined'],
    ['an array holding a non-object', () => [{ name: 'kept', data: 1 }, 'x'], UsageError, 'at [1]'],
    ['an invalid event name', () => ({ name: 'not a name', data: 1 }), InvalidEventError, 'name'],
    ['a reserved event name', () => ({ name: 'Load', data: 1 }), InvalidEventError, 'reserved'],
    ['data that is not JSON-safe', () => ({ name: 'kept', data: { n: 10n } }), InvalidEventError, 'data.n'],
    ['a promise', () => Promise.resolve({ name: 'kept' }), UsageError, 'synchronous'],
  ];

  it.each(malformed)(
    'an upcaster returning %s is refused with a HandlerError of stage upcaster',
    async (_, upcaster, causeClass, detail) => {
      const kept: unknown[] = [];
      class Malformed extends Actor {
        static upcasters: Upcasters = { legacy: upcaster as never };
        kept(data: unknown) {
          kept.push(data);
        }
      }
      const store = await storeWith('m', [{ name: 'legacy' }]);
      const error = await rejectionOf(new Malformed('m', createContainer({ store })).Load());
      expect(error).toBeInstanceOf(HandlerError);
      expect((error as HandlerError).stage).toBe('upcaster');
      expect((error as HandlerError).cause).toBeInstanceOf(causeClass);
      expect((error as Error).message).toContain('Malformed');
      expect((error as Error).message).toContain('"legacy"');
      expect((error as Error).message).toContain(detail);
      // Nothing of a refused event reaches a handler, not even the parts before the bad one.
      expect(kept).toEqual([]);
    },
  );
});

/** A LiveActor shop: the same upcasters, applied to what the live feed brings. */
class LiveShop extends LiveActor<{ balance: number; items: string[] }> {
  static upcasters = Shop.upcasters;
  protected override _state = { balance: 0, items: [] as string[] };
  Deposit(amount: number) {
    return this.Fire('deposited', { amount });
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
  item_added(data: { sku: string }) {
    this._state.items.push(data.sku);
  }
  paid(data: { amount: number }) {
    this._state.balance -= data.amount;
  }
}

describe('upcasting: LiveActor', () => {
  it('old-shaped events another writer stores reach the live actor upcast', async () => {
    const store = memoryStore();
    const shop = await new LiveShop('live', createContainer({ store })).Load();
    await shop.Deposit(10);
    // A writer with no actor at all, appending through the store as an old version of the code did.
    await store.appendToStream('live', [
      { name: 'deposited', data: { cents: 250 } },
      { name: 'checked_out', data: { sku: 'hat', amount: 4 } },
      { name: 'heartbeat' },
    ]);
    await eventually(() => expect(shop.version).toBe(4));
    expect(shop.state).toEqual({ balance: 8.5, items: ['hat'] });
    await shop.Deposit(1);
    expect(shop.state.balance).toBe(9.5);
    const fresh = await new LiveShop('live', createContainer({ store })).Load();
    expect(fresh.state).toEqual(shop.state);
    await Promise.all([shop.Dispose(), fresh.Dispose()]);
  });
});

describe('upcasting: Given stories', () => {
  it('given old-shaped events, the command runs on their current meaning', async () => {
    await Given('A shop whose history predates today’s events', [
      { name: 'registered', data: { mail: 'a@example.com' } },
      { name: 'deposited', data: { cents: 1000 } },
      { name: 'checked_out', data: { sku: 'hat', amount: 4 } },
    ])
      .When(Shop, 'Deposit', 1)
      .Then([{ name: 'deposited', data: { amount: 1 } }])
      .AndState({ email: 'a@example.com', balance: 7, items: ['hat'] });
  });
});
