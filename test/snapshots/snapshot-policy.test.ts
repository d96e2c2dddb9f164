/**
 * Snapshots by policy: an actor saves its state every `snapshotEvery` stored events, and a first
 * `Load` starts from the newest snapshot whose fingerprint, content and covered event all match,
 * replaying only the events after it. A snapshot only makes `Load` faster: whatever is stored in
 * the snapshot table, the state is the one a replay of every event yields, and no failure to
 * write or read one ever reaches a `Fire`, a `Load`, `Flush` or the error hook.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  UsageError,
  type Container,
  type EventStore,
  type Logger,
  type NewSnapshot,
  type Upcasters,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';

interface LedgerState {
  total: number;
  byName: Map<string, { since: Date; amounts: bigint[] }>;
  last: number | undefined;
  seen: Set<number>;
}

/** Counts handler runs across instances, to tell a snapshot's load from a full replay. */
let applied = 0;

class Ledger extends Actor<LedgerState> {
  static override snapshotEvery = 5;
  protected override _state: LedgerState = { total: 0, byName: new Map(), last: undefined, seen: new Set() };
  Pay(name: string, amount: number) {
    return this.Fire('paid', { name, amount });
  }
  Note() {
    return this.Fire('noted', {});
  }
  paid(data: { name: string; amount: number }, event: { version: number; at: string }) {
    applied++;
    this._state.total += data.amount;
    const entry = this._state.byName.get(data.name) ?? { since: new Date(event.at), amounts: [] };
    entry.amounts.push(BigInt(data.amount) * 10n ** 20n);
    this._state.byName.set(data.name, entry);
    this._state.last = data.amount;
    this._state.seen.add(event.version);
  }
}

/** The log lines an actor wrote, by level. */
/** Records what the logger is told about snapshots (the library also logs each append at debug). */
function recordingLogger(): Logger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (message: string) => {
    if (/snapshot/i.test(message)) lines.push([level, message]);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A store whose `saveSnapshot` calls are recorded (the version each asked for) before they go through. */
function recordingSaves(inner: EventStore): EventStore & { saved: number[] } {
  const saved: number[] = [];
  return {
    ...inner,
    saved,
    saveSnapshot(snapshot: NewSnapshot) {
      saved.push(snapshot.version);
      return inner.saveSnapshot(snapshot);
    },
  };
}

/** Waits, turn by turn, until the store holds a snapshot of `stream` for `key` at `version` or later. */
async function snapshotSaved(store: EventStore, stream: string, key: string, version: number) {
  for (let turn = 0; turn < 1000; turn++) {
    const snapshot = await store.readSnapshot(stream, key);
    if (snapshot !== undefined && snapshot.version >= version) return snapshot;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no snapshot of ${stream} for ${key} at version ${version}`);
}

async function payMany(ledger: Ledger, count: number): Promise<void> {
  for (let index = 1; index <= count; index++) {
    if (index % 4 === 0) await ledger.Note();
    else await ledger.Pay(index % 3 === 0 ? 'ann' : 'bob', index);
  }
  await ledger.Flush();
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-snapshots-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const engines: Array<[string, () => EventStore]> = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ file: ':memory:' })],
];

describe('Load from a snapshot', () => {
  for (const [engine, open] of engines) {
    it(`yields the state, version and unhandled count of a full replay, replaying only what follows (${engine})`, async () => {
      const store = open();
      const container = createContainer({ store });
      const writer = await new Ledger('l1', container).Load();
      await payMany(writer, 23);
      await snapshotSaved(store, 'l1', 'Ledger', 20);
      await payMany(writer, 2);

      applied = 0;
      const fromSnapshot = await new Ledger('l1', container).Load();
      expect(applied).toBeLessThan(5);

      class Replayed extends Ledger {
        static override snapshotEvery = 0;
      }
      applied = 0;
      const replayed = await new Replayed('l1', container).Load();
      expect(applied).toBeGreaterThan(15);

      expect(fromSnapshot.state).toStrictEqual(replayed.state);
      expect(fromSnapshot.version).toBe(25);
      expect(fromSnapshot.version).toBe(replayed.version);
      expect(fromSnapshot.unhandledEvents).toBe(replayed.unhandledEvents);
      expect(fromSnapshot.unhandledEvents).toBeGreaterThan(0);

      // It goes on from there as any actor does.
      await fromSnapshot.Pay('cy', 7);
      expect(fromSnapshot.version).toBe(26);
      expect(fromSnapshot.state.byName.get('cy')?.amounts).toEqual([7n * 10n ** 20n]);
      await store.close();
    });
  }

  it('a LiveActor loads from its snapshot and stays live', async () => {
    class Tally extends LiveActor<{ n: number }> {
      static override snapshotEvery = 3;
      protected override _state = { n: 0 };
      counted() {
        this._state.n++;
      }
    }
    const store = memoryStore();
    const container = createContainer({ store });
    const writer = await new Tally('t1', container).Load();
    for (let index = 0; index < 7; index++) await writer.Fire('counted');
    await snapshotSaved(store, 't1', 'Tally', 6);
    const reader = await new Tally('t1', container).Load();
    expect(reader.state.n).toBe(7);
    expect(reader.version).toBe(7);
    await writer.Fire('counted');
    for (let turn = 0; turn < 1000 && reader.version < 8; turn++) await new Promise((r) => setImmediate(r));
    expect(reader.state.n).toBe(8);
    await Promise.all([writer.Dispose(), reader.Dispose()]);
    await store.close();
  });
});

describe('the snapshot policy', () => {
  it('saves a snapshot each time the stored version has advanced snapshotEvery events', async () => {
    const store = recordingSaves(memoryStore());
    const ledger = await new Ledger('p1', createContainer({ store })).Load();
    await payMany(ledger, 12);
    expect(store.saved).toEqual([5, 10]);
    const snapshot = await snapshotSaved(store, 'p1', 'Ledger', 10);
    expect(snapshot).toMatchObject({ stream: 'p1', key: 'Ledger', version: 10 });
    expect(snapshot.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('covers only stored events: a batch in flight is snapshotted once it is stored', async () => {
    const store = recordingSaves(memoryStore());
    const ledger = await new Ledger('p2', createContainer({ store })).Load();
    for (let index = 0; index < 12; index++) void ledger.Pay('ann', 1);
    expect(store.saved).toEqual([]);
    await ledger.Flush();
    expect(store.saved).toEqual([12]);
  });

  it('saves none with snapshotEvery = 0, and reads none', async () => {
    class Off extends Ledger {
      static override snapshotEvery = 0;
    }
    const store = recordingSaves(memoryStore());
    let reads = 0;
    const counting: EventStore = {
      ...store,
      readSnapshot: (...args) => (reads++, store.readSnapshot(...args)),
    };
    const ledger = await new Off('p3', createContainer({ store: counting })).Load();
    await payMany(ledger, 12);
    await new Off('p3', createContainer({ store: counting })).Load();
    expect(store.saved).toEqual([]);
    expect(reads).toBe(0);
  });

  it('each class sharing a stream keeps its own snapshot, under its own name', async () => {
    class Counter extends Actor<{ n: number }> {
      static override snapshotEvery = 2;
      protected override _state = { n: 0 };
      paid() {
        this._state.n++;
      }
    }
    const store = memoryStore();
    const container = createContainer({ store });
    const ledger = await new Ledger('p4', container).Load();
    const counter = await new Counter('p4', container).Load();
    await payMany(ledger, 10);
    await counter.Load();
    expect((await snapshotSaved(store, 'p4', 'Counter', 10)).state).toMatchObject({ state: { n: 8 } });
    expect((await snapshotSaved(store, 'p4', 'Ledger', 10)).state).toMatchObject({ state: { total: 43 } });
  });

  it.each([[-1], [1.5], ['5'], [Number.NaN], [undefined]])(
    'refuses snapshotEvery = %s with a UsageError naming the class',
    (every) => {
      class Misconfigured extends Actor {
        static override snapshotEvery = every as number;
      }
      expect(() => new Misconfigured('x', createContainer({ store: memoryStore() }))).toThrow(UsageError);
      expect(() => new Misconfigured('x', createContainer({ store: memoryStore() }))).toThrow(
        /Misconfigured\.snapshotEvery must be a whole number >= 0/,
      );
    },
  );

  it.each([[''], [2]])('refuses snapshotVersion = %j with a UsageError naming the class', (version) => {
    class Pinned extends Actor {
      static override snapshotVersion = version as string;
    }
    expect(() => new Pinned('x', createContainer({ store: memoryStore() }))).toThrow(
      /Pinned\.snapshotVersion must be a non-empty string/,
    );
  });
});

/** Two classes named alike, as the same class before and after its handler changed. */
const BeforeChange = (() => {
  class Score extends Actor<{ points: number }> {
    static override snapshotEvery = 2;
    protected override _state = { points: 0 };
    scored() {
      this._state.points += 1;
    }
  }
  return Score;
})();
const AfterChange = (() => {
  class Score extends Actor<{ points: number }> {
    static override snapshotEvery = 2;
    protected override _state = { points: 0 };
    scored() {
      this._state.points += 10;
    }
  }
  return Score;
})();

describe('the fingerprint of the handlers', () => {
  it('a changed handler ignores the snapshot of the old one and recomputes from the events', async () => {
    const store = memoryStore();
    const logger = recordingLogger();
    const before = await new BeforeChange('s1', createContainer({ store })).Load();
    for (let index = 0; index < 4; index++) await before.Fire('scored');
    const old = await snapshotSaved(store, 's1', 'Score', 4);
    expect(old.state).toMatchObject({ state: { points: 4 } });

    const after = await new AfterChange('s1', createContainer({ store, logger })).Load();
    expect(after.state.points).toBe(40);
    expect(logger.lines).toContainEqual(['debug', expect.stringContaining('fingerprint differs')]);
    // Its own snapshot replaces the stale one at the next step of the policy.
    await after.Fire('scored');
    await after.Fire('scored');
    const fresh = await snapshotSaved(store, 's1', 'Score', 6);
    expect(fresh.fingerprint).not.toBe(old.fingerprint);
    expect((await new AfterChange('s1', createContainer({ store })).Load()).state.points).toBe(60);
  });

  it('snapshotVersion pins it: a class that keeps its pin keeps its snapshots, a new pin ignores them', async () => {
    const pinnedAs = (version: string, step: number) => {
      class Score extends Actor<{ points: number }> {
        static override snapshotEvery = 2;
        static override snapshotVersion = version;
        protected override _state = { points: 0 };
        scored() {
          this._state.points += step;
        }
      }
      return Score;
    };
    const store = memoryStore();
    const first = await new (pinnedAs('v1', 1))('s2', createContainer({ store })).Load();
    for (let index = 0; index < 4; index++) await first.Fire('scored');
    await snapshotSaved(store, 's2', 'Score', 4);
    // The same pin: the snapshot's state is taken as it is (here the step differs, to tell).
    expect((await new (pinnedAs('v1', 10))('s2', createContainer({ store })).Load()).state.points).toBe(4);
    expect((await new (pinnedAs('v2', 10))('s2', createContainer({ store })).Load()).state.points).toBe(40);
  });

  it('a new upcaster invalidates a pinned snapshot', async () => {
    class Plain extends Actor<{ points: number }> {
      static override snapshotEvery = 2;
      static override snapshotVersion = 'v1';
      protected override _state = { points: 0 };
      scored() {
        this._state.points++;
      }
    }
    const Upcasting = (() => {
      class Plain extends Actor<{ points: number }> {
        static override snapshotEvery = 2;
        static override snapshotVersion = 'v1';
        static upcasters = { scored_v0: (data: unknown) => data };
        protected override _state = { points: 0 };
        scored() {
          this._state.points++;
        }
      }
      return Plain;
    })();
    const store = memoryStore();
    const logger = recordingLogger();
    const first = await new Plain('s3', createContainer({ store })).Load();
    for (let index = 0; index < 4; index++) await first.Fire('scored');
    await snapshotSaved(store, 's3', 'Plain', 4);
    await new Upcasting('s3', createContainer({ store, logger })).Load();
    expect(logger.lines).toContainEqual(['debug', expect.stringContaining('fingerprint differs')]);
  });
});

describe('who takes snapshots', () => {
  it('the node that stores the events takes the snapshots; one that only hears them takes none', async () => {
    class Counter extends LiveActor<{ count: number }> {
      static override snapshotEvery = 5;
      protected override _state = { count: 0 };
      counted() {
        this._state.count++;
      }
    }
    const inner = memoryStore();
    const saved = { writer: 0, hearer: 0 };
    const countingSaves = (node: keyof typeof saved): EventStore =>
      new Proxy(inner, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (property !== 'saveSnapshot') return typeof value === 'function' ? value.bind(target) : value;
          return (snapshot: NewSnapshot) => {
            saved[node]++;
            return inner.saveSnapshot(snapshot);
          };
        },
      });
    const writer = await new Counter('c', createContainer({ store: countingSaves('writer') })).Load();
    const hearer = await new Counter('c', createContainer({ store: countingSaves('hearer') })).Load();
    for (let index = 0; index < 10; index++) await writer.Fire('counted');
    await snapshotSaved(inner, 'c', 'Counter', 10);
    await eventually(() => expect(hearer.version).toBe(10));
    expect(saved).toEqual({ writer: 2, hearer: 0 });
    await Promise.all([writer.Dispose(), hearer.Dispose()]);
  });
});

describe('snapshots and the upcasters of a class chain', () => {
  it("an upcaster added to a pinned class's base class invalidates its snapshots", async () => {
    const accountOf = (baseReadsCents: boolean) => {
      class Base extends Actor<{ total: number }> {
        static upcasters: Upcasters = baseReadsCents
          ? {
              deposited_cents: (data) => ({
                name: 'deposited',
                data: { amount: (data as { cents: number }).cents / 100 },
              }),
            }
          : {};
        protected override _state = { total: 0 };
        deposited(data: { amount: number }) {
          this._state.total += data.amount;
        }
      }
      class Account extends Base {
        static override snapshotEvery = 2;
        static override snapshotVersion = 'v1';
        static override upcasters: Upcasters = { ignored: () => [] };
      }
      return Account;
    };
    const store = memoryStore();
    const before = await new (accountOf(false))('acc', createContainer({ store })).Load();
    await before.Fire('deposited_cents', { cents: 500 });
    await before.Fire('deposited', { amount: 1 });
    await snapshotSaved(store, 'acc', 'Account', 2);
    expect(before.state.total).toBe(1);
    const after = await new (accountOf(true))('acc', createContainer({ store })).Load();
    expect(after.state.total).toBe(6);
  });

  it('a snapshot of a class whose upcasters split events into more unhandled ones than the version is used', async () => {
    class Audit extends Actor<{ seen: number }> {
      static override snapshotEvery = 2;
      static upcasters: Upcasters = {
        logged: () => [
          { name: 'note', data: null },
          { name: 'note', data: null },
          { name: 'seen', data: null },
        ],
      };
      protected override _state = { seen: 0 };
      seen() {
        this._state.seen++;
      }
    }
    const store = memoryStore();
    const logger = recordingLogger();
    const writer = await new Audit('a1', createContainer({ store })).Load();
    for (let index = 0; index < 4; index++) await writer.Fire('logged');
    await snapshotSaved(store, 'a1', 'Audit', 4);
    expect(writer.unhandledEvents).toBe(8);
    const reader = await new Audit('a1', createContainer({ store, logger })).Load();
    expect([reader.state.seen, reader.version, reader.unhandledEvents]).toEqual([4, 4, 8]);
    expect(logger.lines.filter(([level]) => level === 'warn')).toEqual([]);
  });
});

describe('a snapshot that cannot be trusted is ignored, and the state recomputed from the events', () => {
  /** A stream of 6 events with a true snapshot at 6, and the snapshot `damage` makes of it saved over it. */
  async function damaged(damage: (snapshot: NewSnapshot) => NewSnapshot) {
    const store = memoryStore();
    const ledger = await new Ledger('d1', createContainer({ store })).Load();
    await payMany(ledger, 6);
    const { at: _at, ...snapshot } = await snapshotSaved(store, 'd1', 'Ledger', 5);
    await store.saveSnapshot(damage(snapshot));
    const logger = recordingLogger();
    applied = 0;
    const loaded = await new Ledger('d1', createContainer({ store, logger })).Load();
    return { loaded, logger, expected: ledger };
  }

  const damages: Array<[string, (snapshot: NewSnapshot) => NewSnapshot, string]> = [
    ['a state that is not an object', (s) => ({ ...s, version: 6, state: 'hello' }), 'cannot decode'],
    [
      'a state with an unknown tag',
      (s) => ({ ...s, version: 6, state: { ...(s.state as object), state: { '~': 'Nope' } } }),
      'cannot decode',
    ],
    [
      'content in another format',
      (s) => ({ ...s, version: 6, state: { ...(s.state as object), format: 2 } }),
      'cannot decode',
    ],
    ['a version beyond the stream', (s) => ({ ...s, version: 99 }), 'beyond the end of its stream'],
    [
      'another history of the stream',
      (s) => ({ ...s, version: 6, state: { ...(s.state as object), eventId: 'not-this-one' } }),
      'another history',
    ],
  ];
  for (const [what, damage, logged] of damages) {
    it(what, async () => {
      const { loaded, logger, expected } = await damaged(damage);
      expect(applied).toBeGreaterThanOrEqual(4);
      expect(loaded.state).toStrictEqual(expected.state);
      expect(loaded.version).toBe(6);
      expect(logger.lines).toContainEqual(['warn', expect.stringContaining(logged)]);
    });
  }
});

describe('a snapshot never fails a Fire or a Load', () => {
  function failingSaves(error: () => Error, synchronously = false): EventStore & { attempts: number } {
    const inner = memoryStore();
    const store = {
      ...inner,
      attempts: 0,
      saveSnapshot() {
        store.attempts++;
        if (synchronously) throw error();
        return Promise.reject(error());
      },
    };
    return store;
  }

  const failures: Array<[string, EventStore & { attempts: number }, 'warn' | 'debug']> = [
    ['the store is down', failingSaves(() => new StoreUnavailableError('connection refused')), 'warn'],
    ['the store throws at once', failingSaves(() => new Error('driver bug'), true), 'warn'],
    [
      'the store is closed',
      failingSaves(() => new StoreUnavailableError('closed', { closed: true })),
      'debug',
    ],
  ];
  for (const [what, store, level] of failures) {
    it(`when ${what}: every Fire lands, Flush and the error hook see nothing, the log says it once`, async () => {
      const hook: unknown[] = [];
      const logger = recordingLogger();
      const ledger = await new Ledger(
        'f1',
        createContainer({ store, logger, onError: (e) => hook.push(e) }),
      ).Load();
      await payMany(ledger, 21);
      await ledger.Flush();
      for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(ledger.version).toBe(21);
      expect(store.attempts).toBe(4);
      expect(hook).toEqual([]);
      expect(logger.lines).toEqual([[level, expect.stringContaining('could not save a snapshot')]]);
    });
  }

  it('a state too big for the store is not sent, and is logged once', async () => {
    const store = recordingSaves(memoryStore({ maxSnapshotBytes: 200 }));
    const logger = recordingLogger();
    const ledger = await new Ledger('f2', createContainer({ store, logger })).Load();
    await payMany(ledger, 12);
    expect(store.saved).toEqual([]);
    expect(logger.lines).toEqual([
      ['warn', expect.stringMatching(/Ledger "f2" takes no snapshot: .*limit is 200/)],
    ]);
  });

  it('a state that cannot be encoded is logged once, with the class, the id and the path', async () => {
    class Widget {}
    class Holder extends Actor<{ things: Map<string, { since: unknown }> }> {
      static override snapshotEvery = 2;
      protected override _state = { things: new Map<string, { since: unknown }>() };
      added(data: { name: string }) {
        this._state.things.set(data.name, { since: new Widget() });
      }
    }
    const store = recordingSaves(memoryStore());
    // Written by another writer: an actor that fires keeps copies of its state, which refuse it earlier.
    await store.appendToStream(
      'f3',
      Array.from({ length: 6 }, () => ({ name: 'added', data: { name: 'a' } })),
    );
    const logger = recordingLogger();
    const holder = await new Holder('f3', createContainer({ store, logger })).Load();
    expect(holder.version).toBe(6);
    expect(store.saved).toEqual([]);
    expect(logger.lines).toEqual([
      [
        'warn',
        'Holder "f3" takes no snapshot: _state.things.get("a").since is an instance of Widget, which a snapshot cannot restore',
      ],
    ]);
  });

  it('a snapshot that cannot be read is passed over: Load replays every event', async () => {
    const inner = memoryStore();
    const writer = await new Ledger('f4', createContainer({ store: inner })).Load();
    await payMany(writer, 7);
    await snapshotSaved(inner, 'f4', 'Ledger', 5);
    const store: EventStore = {
      ...inner,
      readSnapshot: () => Promise.reject(new StoreUnavailableError('snapshots table locked')),
    };
    const logger = recordingLogger();
    const loaded = await new Ledger('f4', createContainer({ store, logger })).Load();
    expect(loaded.state).toStrictEqual(writer.state);
    expect(logger.lines).toEqual([['warn', expect.stringContaining('could not read its snapshot')]]);
  });
});

describe('classes and containers', () => {
  it('a subclass takes its own policy; a container is all it needs', async () => {
    class Often extends Ledger {
      static override snapshotEvery = 1;
    }
    const store = recordingSaves(memoryStore());
    const often = await new Often(
      'c1',
      createContainer({ store } as { store: EventStore } & Partial<Container>),
    ).Load();
    await payMany(often, 3);
    expect(store.saved).toEqual([1, 2, 3]);
  });
});
