/**
 * The state after one event of a stream, as the user's actor class computes it, and what that
 * event changed: one replay (see `replay-stream.ts`) answers every version of a stream, so the last
 * few replays are kept while the stream does not grow, and stepping through a stream replays it
 * once. A long stream (over `CACHED_STEPS` events) is replayed up to the version asked for, each
 * time, rather than held in memory state by state.
 */
import type { EventStore } from '../engines/engine.js';
import type { StoredEvent } from '../events/envelope.js';
import { messageOf } from '../errors.js';
import { displayValue } from '../inspection/display-value.js';
import { replayStream, type Replay, type ReplayableClass } from '../inspection/replay-stream.js';
import { displayChanges, type StateChange } from '../inspection/state-changes.js';

const CACHED_STEPS = 2000;
const CACHED_REPLAYS = 8;

export type StateAtVersion =
  | {
      readonly outcome: 'applied';
      readonly actor: string;
      readonly version: number;
      readonly event: StoredEvent;
      readonly changes: readonly StateChange[];
      readonly state: unknown;
      readonly stateBefore: unknown;
    }
  | {
      /** The handler of `failedAt` threw: the replay cannot go past it. */
      readonly outcome: 'failed';
      readonly actor: string;
      readonly version: number;
      readonly failedAt: StoredEvent;
      readonly error: string;
      readonly stateBefore: unknown;
    };

export class StateReplays {
  readonly #store: EventStore;
  readonly #cache = new Map<string, { readonly storedVersion: number; readonly replay: Replay }>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** `undefined` when the stream has no event `version`. */
  async stateAt(
    actor: ReplayableClass,
    stream: string,
    version: number,
  ): Promise<StateAtVersion | undefined> {
    const storedVersion = await this.#store.streamVersion(stream);
    if (version < 1 || version > storedVersion) return undefined;
    const replay = await this.#replay(actor, stream, version, storedVersion);
    const failure = replay.failure;
    if (failure !== undefined && failure.event.version <= version) {
      return {
        outcome: 'failed',
        actor: actor.name,
        version,
        failedAt: failure.event,
        error: messageOf(failure.error),
        stateBefore: displayValue(failure.stateBefore),
      };
    }
    const index = replay.steps.findIndex((step) => step.event.version === version);
    const step = replay.steps[index];
    if (step === undefined) return undefined;
    const before = index === 0 ? replay.initial : replay.steps[index - 1]?.state;
    return {
      outcome: 'applied',
      actor: actor.name,
      version,
      event: step.event,
      changes: displayChanges(step.changes),
      state: displayValue(step.state),
      stateBefore: displayValue(before),
    };
  }

  async #replay(
    actor: ReplayableClass,
    stream: string,
    version: number,
    storedVersion: number,
  ): Promise<Replay> {
    if (storedVersion > CACHED_STEPS) return replayStream(this.#store, actor, stream, { to: version });
    const key = JSON.stringify([actor.name, stream]);
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.storedVersion === storedVersion) return cached.replay;
    const replay = await replayStream(this.#store, actor, stream, { to: storedVersion });
    this.#cache.delete(key);
    this.#cache.set(key, { storedVersion, replay });
    // The oldest entry goes first: a Map keeps insertion order.
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= CACHED_REPLAYS) break;
      this.#cache.delete(oldest);
    }
    return replay;
  }
}
