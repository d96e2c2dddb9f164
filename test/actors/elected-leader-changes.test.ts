/**
 * OneActor and TickActor across a change of leader that goes wrong: a leader that cannot take
 * office at once, and a slow leader still acting while its successor takes over. Each test failed
 * on the code before its fix. Nodes are handles on one memory store (a handle = its own lease
 * keeper, holder and live feed) whose calls may fail as a store that is down for a moment, or
 * whose notifications may come late.
 */
import { describe, expect, it } from 'vitest';
import {
  createContainer,
  HandlerError,
  memoryStore,
  OneActor,
  StoreUnavailableError,
  TickActor,
  type EventStore,
  type NewEvent,
  type TickData,
} from 'omniscient-actors';
import { eventually } from '../support/eventually.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Faults {
  /** Fails this append (StoreUnavailableError) when it returns true. */
  append?: (stream: string, events: readonly NewEvent[]) => boolean;
  /** Fails this read (StoreUnavailableError) when it returns true. */
  read?: (stream: string) => boolean;
  /** Holds this append until the promise settles. */
  hold?: (stream: string, events: readonly NewEvent[]) => Promise<void> | undefined;
  /** Delivers every notification this much later (read when each arrives). */
  notificationDelayMs?: () => number;
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
          const held = faults.hold?.(stream, events);
          if (held !== undefined) return held.then(() => target.appendToStream(stream, events, options));
          return target.appendToStream(stream, events, options);
        };
      }
      if (key === 'readStream') {
        return (stream: string, options?: object) => {
          if (faults.read?.(stream)) {
            return Promise.reject(new StoreUnavailableError('the store is down for a moment'));
          }
          return target.readStream(stream, options);
        };
      }
      if (key === 'subscribe') {
        return (...args: Parameters<EventStore['subscribe']>) => {
          const [listener, options] = args;
          const delayOf = faults.notificationDelayMs;
          if (delayOf === undefined) return target.subscribe(listener, options);
          return target.subscribe(
            (notifications) => void setTimeout(() => listener(notifications), delayOf()),
            options,
          );
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

class Metronome extends TickActor<{ beats: number[]; bumps: number }> {
  static override resolution = 100;
  protected override _state = { beats: [] as number[], bumps: 0 };
  Bump() {
    return this.Fire('bumped', {});
  }
  tick(data: TickData) {
    this._state.beats.push(data.n);
  }
  bumped() {
    this._state.bumps++;
  }
}

describe('TickActor: a leader that failed to take office', () => {
  it('ticks once the store is back, even when a serving round failed while it waited to try again', async () => {
    const store = memoryStore();
    let electedDown = true;
    let requestReadFailures = 0;
    let failedRequestReads = 0;
    const leaderStore = handle(store, {
      append: (_, events) => electedDown && events.some((event) => event.name === 'elected'),
      read: (stream) => {
        if (!stream.startsWith('$requests:') || requestReadFailures <= 0) return false;
        requestReadFailures--;
        failedRequestReads++;
        return true;
      },
    });
    const options = { logger: quiet, onError: () => undefined };
    const leader = await new Metronome('rv1', createContainer({ store: leaderStore, ...options })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const follower = await new Metronome('rv1', createContainer({ store: handle(store), ...options })).Load();
    // The leader is still failing to write its elected record (its retries of the append take a
    // few hundred ms); the request it hears meanwhile is served in a round that fails on a read.
    requestReadFailures = 1;
    const bump = follower.Bump();
    // (Before the fix the failed round's retry replaced the pending retry of taking office; now a
    // leader serves only once in office, and one retry path takes office first.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failedRequestReads).toBeLessThanOrEqual(1);
    // The store is healthy from now on.
    electedDown = false;
    await bump;
    await eventually(
      () => expect(leader.state.beats.length, 'the leader never ticks').toBeGreaterThanOrEqual(3),
      3000,
    );
    await Promise.all([leader.Dispose(), follower.Dispose()]);
    await store.close();
  });
});

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

describe('OneActor: a slow leader and the successor that took over from it', () => {
  it('a request the successor refused is not stored by the old leader serving it from what it heard', async () => {
    const store = memoryStore();
    let oldLeaderLagMs = 0;
    const oldLeaderStore = handle(store, { notificationDelayMs: () => oldLeaderLagMs });
    let release: (() => void) | undefined;
    let electedHeld = false;
    const successorStore = handle(store, {
      hold: (_, events) => {
        if (!events.some((event) => event.name === 'elected') || electedHeld) return undefined;
        electedHeld = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const options = { logger: quiet, onError: () => undefined };
    const oldLeader = await new Wallet('rv2', createContainer({ store: oldLeaderStore, ...options })).Load();
    await eventually(() => expect(oldLeader.isLeader).toBe(true));
    const successor = await new Wallet('rv2', createContainer({ store: successorStore, ...options })).Load();
    // The leader's live feed falls behind: its follower's request waits, and the follower takes over.
    oldLeaderLagMs = 600;
    const withdrawal = successor.Withdraw(7).then(
      () => 'stored',
      (error: unknown) => (error instanceof HandlerError ? 'refused' : `failed: ${String(error)}`),
    );
    await eventually(() => expect(release).toBeDefined());
    // While the successor takes office, the old leader (not told yet) stores a deposit of its own.
    await oldLeader.Deposit(10);
    release?.();
    expect(await withdrawal).toBe('refused');
    // The old leader hears the request (its feed lags) before the successor's elected record.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const names = (await store.readStream('rv2')).map((event) => event.name);
    expect(names, 'the withdrawal its requester saw refused was stored').toEqual(['deposited']);
    await Promise.all([oldLeader.Dispose(), successor.Dispose()]);
    await store.close();
  });
});
