/**
 * How OneActor and TickActor meet failures and awkward use: each test is a scenario a production
 * user can meet, written when the defect it names was found (each failed on the code before its
 * fix). Nodes are separate SQLite connections, or
 * separate handles on one memory store (a handle = its own lease keeper, holder and live feed);
 * a handle may fail some calls with StoreUnavailableError, as a store that is down for a moment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createContainer,
  HandlerError,
  memoryStore,
  OneActor,
  StoreUnavailableError,
  TickActor,
  UsageError,
  type EventStore,
  type NewEvent,
  type TickData,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';

class Wallet extends OneActor<{ balance: number }> {
  static override requestTimeoutMs = 200;
  protected override _state = { balance: 0 };
  Deposit(amount: number) {
    return this.Fire('deposited', { amount });
  }
  Withdraw(amount: number) {
    return this.Fire('withdrawn', { amount });
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
  withdrawn(data: { amount: number }) {
    if (data.amount > this._state.balance) throw new Error(`only ${this._state.balance} left`);
    this._state.balance -= data.amount;
  }
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-elected-review-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

function sqliteNodes(count: number, pollIntervalMs = 2): EventStore[] {
  const file = join(directory, `review-${++files}.sqlite`);
  return Array.from({ length: count }, () => sqliteStore({ file, pollIntervalMs }));
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** 'settled' if `promise` settles within `ms`, else 'pending'. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => 'settled' as const,
        () => 'settled' as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Faults {
  /** Fails this append (StoreUnavailableError) when it returns true. */
  append?: (stream: string, events: readonly NewEvent[]) => boolean;
  /** Fails this subscribe when it returns true. */
  subscribe?: () => boolean;
  /** Delivers every notification this much later. */
  notificationDelayMs?: number;
}

/** Another node's handle on `store`: its own keeper and feed; calls fail as `faults` says. */
function handle(store: EventStore, faults: Faults = {}): EventStore {
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (key === 'appendToStream') {
        return (stream: string, events: readonly NewEvent[], options?: object) => {
          if (faults.append?.(stream, events)) {
            return Promise.reject(new StoreUnavailableError('the store is down for a moment'));
          }
          return target.appendToStream(stream, events, options);
        };
      }
      if (key === 'subscribe') {
        return (...args: Parameters<EventStore['subscribe']>) => {
          if (faults.subscribe?.()) {
            return Promise.reject(new StoreUnavailableError('the store is down for a moment'));
          }
          const [listener, options] = args;
          const delay = faults.notificationDelayMs;
          if (delay === undefined) return target.subscribe(listener, options);
          return target.subscribe(
            (notifications) => void setTimeout(() => listener(notifications), delay),
            options,
          );
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('OneActor: which requests are served', () => {
  it('a refused request is not served again by a leader that did not hear the refusal', async () => {
    const [a, b, c] = sqliteNodes(3) as [EventStore, EventStore, EventStore];
    const first = await new Wallet('r1', createContainer({ store: a })).Load();
    await eventually(() => expect(first.isLeader).toBe(true));
    const follower = await new Wallet('r1', createContainer({ store: b })).Load();
    await expect(follower.Withdraw(7)).rejects.toBeInstanceOf(HandlerError);
    await first.Deposit(10);
    await first.Dispose();
    await follower.Dispose();
    // A node that starts later leads: it never heard the refusal.
    const later = await new Wallet('r1', createContainer({ store: c })).Load();
    await eventually(() => expect(later.isLeader).toBe(true));
    // Lane order: this runs after the new leader's first round of serving.
    await later.Deposit(1);
    const names = (await c.readStream('r1')).map((event) => event.name);
    expect(names, 'the refused withdrawal was stored after all').toEqual(['deposited', 'deposited']);
    await later.Dispose();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('a request refused next to a later accepted one still settles when the refusal could not be written', async () => {
    const store = memoryStore();
    let failRefusals = true;
    const leaderStore = handle(store, {
      append: (stream, events) => failRefusals && events.some((event) => event.name === 'refused'),
    });
    const followerStore = handle(store);
    const leader = await new Wallet(
      'r2',
      createContainer({ store: leaderStore, logger: quiet, onError: () => undefined }),
    ).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const follower = await new Wallet(
      'r2',
      createContainer({ store: followerStore, logger: quiet, onError: () => undefined }),
    ).Load();
    // One batch, so one request append and one round of serving: refused, then accepted.
    const withdrawal = follower.Withdraw(7);
    const deposit = follower.Deposit(5);
    await deposit;
    // Long enough for the leader's retries of the refusal to give up; then the store is healthy.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    failRefusals = false;
    expect(await settlesWithin(withdrawal, 5000), 'the refused withdrawal never settles').toBe('settled');
    await Promise.all([leader.Dispose(), follower.Dispose()]);
    await store.close();
  });

  it('a Fire before Load on the only node settles (default requestTimeoutMs)', async () => {
    class Patient extends Wallet {
      static override requestTimeoutMs = 1000;
    }
    const store = memoryStore();
    const wallet = new Patient('r3', createContainer({ store, logger: quiet }));
    const firing = wallet.Deposit(1);
    const outcome = await settlesWithin(firing, 5000);
    // It did lead and store the event: only its own Fire was never told.
    expect({ leader: wallet.isLeader, stored: await store.streamVersion('r3') }).toEqual({
      leader: true,
      stored: 1,
    });
    expect(outcome, 'the Fire never settles').toBe('settled');
    await store.close();
  });

  it('a Fire before Load on the only node leads at all when requestTimeoutMs is shorter than a renewal period', async () => {
    const store = memoryStore();
    const wallet = new Wallet('r3b', createContainer({ store, logger: quiet }));
    const firing = wallet.Deposit(1);
    const outcome = await settlesWithin(firing, 5000);
    expect(wallet.isLeader, 'takeOverLease(term 0) is refused every 200 ms, before the plain ask').toBe(true);
    expect(outcome).toBe('settled');
    await store.close();
  });

  it('two instances of one id in one process: a request survives a store that failed while it was served', async () => {
    const store = memoryStore();
    let failActorAppends = false;
    const node = handle(store, { append: (stream) => failActorAppends && stream === 'r5' });
    const container = createContainer({ store: node, logger: quiet, onError: () => undefined });
    const leader = await new Wallet('r5', container).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const other = await new Wallet('r5', container).Load();
    failActorAppends = true;
    const deposit = other.Deposit(1);
    // Longer than the leader's retries of its append; then the store is healthy again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    failActorAppends = false;
    expect(await settlesWithin(deposit, 5000), 'the request is never served again').toBe('settled');
    await store.close();
  });

  it('a Load retried after a failed Load campaigns: the only node leads and serves', async () => {
    const store = memoryStore();
    let subscribeFailures = 1;
    const node = handle(store, { subscribe: () => subscribeFailures-- > 0 });
    const wallet = new Wallet('r4', createContainer({ store: node, logger: quiet }));
    await expect(wallet.Load()).rejects.toBeInstanceOf(StoreUnavailableError);
    await wallet.Load();
    const firing = wallet.Deposit(1);
    expect(await settlesWithin(firing, 5000), 'the Fire never settles: nobody campaigns').toBe('settled');
    await store.close();
  });
});

class Metronome extends TickActor<{ beats: number[] }> {
  static override resolution = 100;
  protected override _state = { beats: [] as number[] };
  tick(data: TickData) {
    this._state.beats.push(data.n);
  }
}

describe('TickActor', () => {
  it('a leader whose elected record could not be written ticks anyway', async () => {
    const store = memoryStore();
    let electedFailures = 5;
    const node = handle(store, {
      append: (_, events) => events.some((event) => event.name === 'elected') && electedFailures-- > 0,
    });
    const metronome = await new Metronome('t1', createContainer({ store: node, logger: quiet })).Load();
    await eventually(() => expect(metronome.isLeader).toBe(true));
    await eventually(() => expect(metronome.state.beats.length).toBeGreaterThanOrEqual(3), 3000);
    await metronome.Dispose();
    await store.close();
  });

  it('a tick its handler refused does not hold the actor: Dispose ends at once', async () => {
    class Hourly extends TickActor<{ beats: number[] }> {
      static override resolution = 3_600_000;
      protected override _state = { beats: [] as number[] };
      tick(data: TickData) {
        if (data.n >= 2) throw new Error('not now');
        this._state.beats.push(data.n);
      }
    }
    const store = memoryStore();
    // Tick 1 was stored long ago: tick 2 is due at once.
    await store.appendToStream('t2', [
      { name: 'tick', data: { n: 1, at: new Date(Date.now() - 2 * 3_600_000).toISOString() } },
    ]);
    const hourly = await new Hourly(
      't2',
      createContainer({ store, logger: quiet, onError: () => undefined }),
    ).Load();
    await eventually(() => expect(hourly.isLeader).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await settlesWithin(hourly.Dispose(), 5000), 'Dispose waits for a whole resolution').toBe(
      'settled',
    );
    await store.close();
  });

  it('runs its tick handler once per tick stored on the leader, even when the live feed lags', async () => {
    let handled = 0;
    class Counted extends Metronome {
      override tick(data: TickData) {
        handled++;
        super.tick(data);
      }
    }
    const store = memoryStore();
    // The live feed 20 ms behind (a busy loop, a listener reconnecting): nothing else changes.
    const node = handle(store, { notificationDelayMs: 20 });
    const counted = await new Counted('t3', createContainer({ store: node, logger: quiet })).Load();
    await eventually(() => expect(counted.state.beats.length).toBeGreaterThanOrEqual(5));
    await counted.Dispose();
    const stored = (await store.readStream('t3')).filter((event) => event.name === 'tick').length;
    expect(handled, `${handled} handler runs (one per append tried) for ${stored} stored ticks`).toBe(stored);
    await store.close();
  });

  it('a tick sent as a request by a OneActor of the same id does not stop the ticking', async () => {
    class Clockwork extends Wallet {
      Tick(n: number) {
        return this.Fire('tick', { n, at: new Date().toISOString() });
      }
    }
    const store = memoryStore();
    const metronome = await new Metronome(
      't6',
      createContainer({ store: handle(store), logger: quiet }),
    ).Load();
    await eventually(() => expect(metronome.state.beats.length).toBeGreaterThanOrEqual(3));
    const one = await new Clockwork('t6', createContainer({ store: handle(store), logger: quiet })).Load();
    await one.Tick(1).catch(() => undefined);
    const before = (await store.readStream('t6')).length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = (await store.readStream('t6')).length;
    expect(after - before, 'no tick stored for a second').toBeGreaterThanOrEqual(3);
    await store.close();
  });

  it('a OneActor and a TickActor cannot share an id in one process: one id has one leader', async () => {
    const store = memoryStore();
    const one = await new Wallet('t5', createContainer({ store })).Load();
    const metronome = new Metronome('t5', createContainer({ store }));
    await expect(metronome.Load()).rejects.toThrow(UsageError);
    await expect(metronome.Load()).rejects.toThrow(/held by a OneActor/);
    await one.Dispose();
    // Once the OneActor is gone, the id is free for a TickActor.
    const again = await new Metronome('t5', createContainer({ store })).Load();
    await eventually(() => expect(again.state.beats.length).toBeGreaterThanOrEqual(2), 3000);
    await Promise.all([again.Dispose(), metronome.Dispose()]);
    await store.close();
  });

  it('after its leader dies, the followers waiting on requests elect one successor, not one each', async () => {
    const [a, b, c] = sqliteNodes(3) as [EventStore, EventStore, EventStore];
    const leader = await new Wallet('w-succession', createContainer({ store: a })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const followers = await Promise.all(
      [b, c].map((store) => new Wallet('w-succession', createContainer({ store })).Load()),
    );
    await followers[0]!.Deposit(1);
    // The leader's process dies: its store goes away under it, its lease is left to be taken over.
    await a.close();
    // Both followers fire at once, and keep firing while the successor takes over.
    const firing: Array<Promise<unknown>> = [];
    for (let round = 0; round < 30; round++) {
      for (const follower of followers) firing.push(follower.Deposit(1));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(firing);
    const elected = (await b.readStream('$requests:w-succession')).filter(
      (record) => record.name === 'elected',
    );
    // The first leader's, then exactly one successor's.
    expect(elected).toHaveLength(2);
    await Promise.all(followers.map((follower) => follower.Dispose()));
    await Promise.all([b.close(), c.close()]);
  });
});
