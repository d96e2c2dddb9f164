/**
 * The actors the LiveActor benchmarks run in their worker processes, the clock every process
 * stamps with, and a store wrapper that counts what an actor asks of its store.
 */
import { Actor, ConcurrencyError, LiveActor, type EventStore } from '../../src/index.js';

/**
 * Milliseconds on the machine's monotonic clock. On Linux `process.hrtime` reads
 * `CLOCK_MONOTONIC`, one clock for the whole machine, so a time taken in one process and a time
 * taken in another compare directly (nanosecond resolution, never stepped by NTP). The benchmark
 * checks this at start-up with a round trip to each worker.
 */
export function machineMillis(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface PingData {
  /** The ping's number; negative for warm-up pings. */
  readonly n: number;
  /** `machineMillis()` on the firing process just before `Fire`. */
  readonly sentAt: number;
}

/**
 * Fired on one process, heard on another: the handler notes how long after `sentAt` it ran. On
 * the firing process the same handler runs too (locally, at once); its notes are not used there.
 */
export class Probe extends LiveActor<{ pings: number }, { pinged: PingData }> {
  protected override _state = { pings: 0 };
  /** Milliseconds from `sentAt` to the handler, by ping number (NaN: not heard yet). */
  heardAfter: Float64Array = new Float64Array(0);
  heard = 0;
  /** Pings whose handler ran twice: never expected. */
  duplicates = 0;

  Ping(n: number) {
    return this.Fire('pinged', { n, sentAt: machineMillis() });
  }

  pinged(data: PingData) {
    const now = machineMillis();
    this._state.pings += 1;
    if (data.n < 0 || data.n >= this.heardAfter.length) return;
    if (Number.isNaN(this.heardAfter[data.n]!)) {
      this.heardAfter[data.n] = now - data.sentAt;
      this.heard++;
    } else {
      this.duplicates++;
    }
  }
}

export interface TallyState {
  count: number;
  /** A hash of the added ids in the order they were applied: equal only if the order is. */
  digest: number;
}

/** Counts the ids added to its stream; a small state, so that rebuilding it costs little. */
export class ConflictTally extends LiveActor<TallyState, { added: { id: string } }> {
  protected override _state: TallyState = { count: 0, digest: 0 };

  Add(id: string) {
    return this.Fire('added', { id });
  }

  added(data: { id: string }) {
    this._state.count += 1;
    this._state.digest = foldDigest(this._state.digest, data.id);
  }
}

/** The running digest of ids in order (FNV-1a over the ids, chained). */
export function foldDigest(digest: number, id: string): number {
  let hash = (digest ^ 0x811c9dc5) >>> 0;
  for (let index = 0; index < id.length; index++) {
    hash = Math.imul(hash ^ id.charCodeAt(index), 16777619) >>> 0;
  }
  return hash;
}

export interface AccountState {
  balance: number;
  deposits: number;
}

type AccountEvents = { deposited: { amount: number } };

/** A resident live actor with a small state: what the memory case loads 10 000 of. */
export class LiveAccount extends LiveActor<AccountState, AccountEvents> {
  protected override _state: AccountState = { balance: 0, deposits: 0 };

  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
    this._state.deposits += 1;
  }
}

/** The same account as a plain `Actor`, which does not listen: the baseline of the memory case. */
export class PlainAccount extends Actor<AccountState, AccountEvents> {
  protected override _state: AccountState = { balance: 0, deposits: 0 };

  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
    this._state.deposits += 1;
  }
}

export interface StoreCounts {
  /** Calls of `appendToStream`. */
  appends: number;
  /** Appends that were refused with `ConcurrencyError`: each one makes a live actor rebase. */
  conflicts: number;
  /** Calls of `subscribe`: the engine subscriptions the process holds (a live feed makes one). */
  subscriptions: number;
  /** How many refused appends each event was part of, by event id. */
  readonly conflictsByEvent: Map<string, number>;
}

/**
 * The store as it is, but counting appends, conflicts and subscriptions: what the actors ask of
 * it, seen from outside them.
 */
export function countingStore(store: EventStore): { store: EventStore; counts: StoreCounts } {
  const counts: StoreCounts = { appends: 0, conflicts: 0, subscriptions: 0, conflictsByEvent: new Map() };
  const appendToStream: EventStore['appendToStream'] = async (stream, events, options) => {
    counts.appends++;
    try {
      return await store.appendToStream(stream, events, options);
    } catch (error) {
      if (error instanceof ConcurrencyError) {
        counts.conflicts++;
        for (const event of events) {
          if (event.id === undefined) continue;
          counts.conflictsByEvent.set(event.id, (counts.conflictsByEvent.get(event.id) ?? 0) + 1);
        }
      }
      throw error;
    }
  };
  const subscribe: EventStore['subscribe'] = (listener, options) => {
    counts.subscriptions++;
    return store.subscribe(listener, options);
  };
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'appendToStream') return appendToStream;
      if (property === 'subscribe') return subscribe;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, counts };
}
