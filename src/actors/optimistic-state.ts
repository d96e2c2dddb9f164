/**
 * An actor's state while some of its fired events are not yet stored: the confirmed events, then
 * the pending ones applied on top, in firing order. Both kinds apply at `Fire` and use it.
 *
 * Guarantees:
 * - the state is always "base, then every event stored since, then the pending events": a state
 *   some sequence of stored events produces, never a mix;
 * - a pending event whose handler refuses (throws) on the state it would now land on is taken out
 *   of the state, its `Fire` is rejected with the `HandlerError`, and it is never appended: a
 *   stream never holds an event its own handler refuses;
 * - a stored event whose id is one of ours is ours landing (an echo through the live feed, or the
 *   answer to an append whose reply was lost): its `Fire` resolves, it is never applied twice;
 * - a stored event this class cannot apply (its handler throws) stops the state just before it,
 *   as a fresh `Load()` would, and every pending event is rejected: none can land after it.
 *
 * To rebuild, it keeps a copy of the confirmed state from when the first pending event of a burst
 * was fired (`structuredClone`: the state must hold plain data; see `state-copy.ts`).
 */
import { encodedDataOf } from '../events/encoded-event.js';
import { copyOfEvent } from '../events/event-copy.js';
import type { StoredEvent } from '../events/envelope.js';
import type { ReactionCheckpoints } from '../subscriptions/reaction-cause.js';
import type { ActorMachinery, FiredEvent } from './kind-policy.js';
import { copyState } from './state-copy.js';

/** How many events one read of a catch-up takes. */
const READ_PAGE_SIZE = 10_000;

/** Confirmed events since the base past which a rebuild takes a newer base (see `#advanceBase`). */
const REBASE_AFTER = 32;

/** The confirmed state a burst of pending events started from. */
interface Base {
  readonly state: object;
  readonly version: number;
  readonly unhandled: number;
  readonly reactions: ReactionCheckpoints;
}

export class OptimisticState {
  readonly #machinery: ActorMachinery;
  #base: Base | undefined;
  /** Events stored since `#base` was taken: ours that landed and others' that won. */
  #confirmedSinceBase: StoredEvent[] = [];
  /** Fired, applied locally, not yet stored, in firing order. */
  #pending: FiredEvent[] = [];
  /** Pending events of re-runnable commands: dropping one is the command's business, not a failure. */
  #rerunnable: WeakSet<FiredEvent> | undefined;

  /** Told, after stored events were accepted, of those events and how many are still pending. */
  readonly #onConfirmed: ((events: readonly StoredEvent[], pending: number) => void) | undefined;

  constructor(
    machinery: ActorMachinery,
    onConfirmed?: (events: readonly StoredEvent[], pending: number) => void,
  ) {
    this.#machinery = machinery;
    this.#onConfirmed = onConfirmed;
  }

  /** The version of the last stored event applied; the actor's `version` also counts pending events. */
  get confirmedVersion(): number {
    return this.#base === undefined
      ? this.#machinery.version()
      : this.#base.version + this.#confirmedSinceBase.length;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  isPending(fired: FiredEvent): boolean {
    return this.#pending.includes(fired);
  }

  /** Applies a fired event on top of the state; if its handler throws, the state is as before and it rethrows. */
  applyFired(fired: FiredEvent, rerunnable: boolean): void {
    const machinery = this.#machinery;
    if (this.#base === undefined) {
      this.#base = {
        state: copyState(machinery.state(), machinery.className, machinery.id),
        version: machinery.version(),
        unhandled: machinery.unhandled(),
        reactions: machinery.reactions(),
      };
      this.#confirmedSinceBase = [];
    }
    this.#pending.push(fired);
    if (rerunnable) (this.#rerunnable ??= new WeakSet()).add(fired);
    try {
      machinery.applyEvent(this.#provisional(fired, machinery.version() + 1));
    } catch (error) {
      this.#pending.pop();
      // The handler may have half-changed the state before it threw. Rebuilt, it is the state the
      // OnChange listeners last heard of: nothing to announce.
      this.#restore(false);
      throw error;
    }
  }

  /**
   * Stored events that follow the confirmed version with no gap, in version order: other writers'
   * events, or ours landing. Ours resolve; the state is rebuilt if the order it was built in changed.
   */
  acceptStored(events: readonly StoredEvent[]): void {
    const confirmed = this.confirmedVersion;
    const fresh = events.filter((event) => event.version > confirmed);
    if (fresh.length === 0) return;
    if (this.#base === undefined) {
      for (const event of fresh) this.#machinery.applyEvent(event);
      this.#onConfirmed?.(fresh, 0);
      return;
    }
    const landed: Array<[FiredEvent, StoredEvent]> = [];
    // The state needs no rebuild when what landed is exactly the oldest pending events, in order.
    let sameOrder = true;
    for (const event of fresh) {
      const index = this.#pending.findIndex((fired) => fired.event.id === event.id);
      if (index !== 0) sameOrder = false;
      if (index >= 0) {
        const [fired] = this.#pending.splice(index, 1) as [FiredEvent];
        // A reaction's id is derived from its cause: another node's reaction to the same cause lands
        // with our id, and may differ from ours if it decided on another state. Rebuild from theirs.
        if (event.meta.reaction !== undefined && !sameContent(fired, event)) sameOrder = false;
        landed.push([fired, event]);
      }
      this.#confirmedSinceBase.push(event);
    }
    try {
      if (!sameOrder) this.#restore();
      else if (this.#pending.length === 0) this.#dropBase();
    } finally {
      for (const [fired, stored] of landed) fired.resolve(stored);
    }
    if (this.#base === undefined) this.#onConfirmed?.(fresh, 0);
  }

  /**
   * Reads and accepts every stored event after the confirmed version, page by page. `accept` (by
   * default `acceptStored`) is what a kind does with each page: it must accept the events.
   */
  async readStored(accept = (events: readonly StoredEvent[]) => this.acceptStored(events)): Promise<void> {
    const { container, id } = this.#machinery;
    for (;;) {
      const events = await container.store.readStream(id, {
        fromVersion: this.confirmedVersion + 1,
        limit: READ_PAGE_SIZE,
      });
      accept(events);
      if (events.length < READ_PAGE_SIZE) return;
    }
  }

  /** These pending events will never be stored as they are: take them out of the state. */
  drop(fired: readonly FiredEvent[]): void {
    const dropped = new Set(fired);
    const before = this.#pending.length;
    this.#pending = this.#pending.filter((each) => !dropped.has(each));
    if (this.#pending.length !== before) this.#restore();
  }

  /**
   * State = the base, the events confirmed since, then every pending event that still applies. A
   * pending event whose handler throws is refused: out of the state, rejected, never appended.
   */
  #restore(announce = true): void {
    if (this.#base === undefined) return;
    this.#machinery.rebuild(() => this.#rebuild(), announce);
  }

  #rebuild(): void {
    for (;;) {
      // Read at each turn: `#advanceBase` may have moved the base forward.
      const base = this.#base;
      if (base === undefined) return;
      this.#applyConfirmed(base);
      this.#advanceBase();
      const refused = this.#applyPending();
      if (refused === undefined) break;
      const [fired, error] = refused;
      this.#pending.splice(this.#pending.indexOf(fired), 1);
      fired.reject(error);
      if (!this.#rerunnable?.has(fired)) this.#machinery.reportFailure(error, 'apply', fired.event.name);
    }
    if (this.#pending.length === 0) this.#dropBase();
  }

  /**
   * Every rebuild applies the events confirmed since the base again: while an actor keeps firing,
   * the base never drops and they pile up, each rebuild costing more than the last. Past a few,
   * the state they made (just applied, before the pending events) becomes the base.
   */
  #advanceBase(): void {
    if (this.#confirmedSinceBase.length < REBASE_AFTER) return;
    const machinery = this.#machinery;
    let state: object;
    try {
      state = copyState(machinery.state(), machinery.className, machinery.id);
    } catch {
      return; // the state cannot be copied now: the older base still rebuilds it
    }
    this.#base = {
      state,
      version: machinery.version(),
      unhandled: machinery.unhandled(),
      reactions: machinery.reactions(),
    };
    this.#confirmedSinceBase = [];
  }

  /** The state = the base, then the events confirmed since; stops before one this class cannot apply. */
  #applyConfirmed(base: Base): void {
    const machinery = this.#machinery;
    this.#reset(base);
    let applied = 0;
    try {
      // A copy each time: a handler may have kept and changed the data of an earlier application.
      for (const event of this.#confirmedSinceBase) {
        machinery.applyEvent(copyOfEvent(event));
        applied++;
      }
    } catch (error) {
      // A stored event this class cannot apply: the state stays just before it, as a fresh Load's
      // would, and nothing pending can land after it.
      this.#confirmedSinceBase.length = applied;
      this.#reset(base);
      for (const event of this.#confirmedSinceBase) machinery.applyEvent(copyOfEvent(event));
      const pending = this.#pending;
      this.#pending = [];
      this.#dropBase();
      for (const fired of pending) fired.reject(error);
      throw error;
    }
  }

  #reset(base: Base): void {
    const machinery = this.#machinery;
    machinery.setState(structuredClone(base.state));
    machinery.setVersion(base.version);
    machinery.setUnhandled(base.unhandled);
    machinery.setReactions(base.reactions);
  }

  /** Applies the pending events in order; the first one whose handler throws is returned with the error. */
  #applyPending(): [FiredEvent, unknown] | undefined {
    const machinery = this.#machinery;
    for (const fired of this.#pending) {
      try {
        machinery.applyEvent(this.#provisional(fired, machinery.version() + 1));
      } catch (error) {
        return [fired, error];
      }
    }
    return undefined;
  }

  #dropBase(): void {
    this.#base = undefined;
    this.#confirmedSinceBase = [];
  }

  /** A pending event as its handler sees it: what it will be once stored (its position is 0 until then). */
  #provisional(fired: FiredEvent, version: number): StoredEvent {
    const { event } = fired;
    return {
      id: event.id,
      stream: this.#machinery.id,
      name: event.name,
      // Fresh values each time (encoded events parse their text): a handler may keep part of one in
      // the state and change it later without changing what is stored.
      data: event.data ?? null,
      version,
      position: 0,
      at: typeof event.at === 'string' ? event.at : (event.at ?? new Date()).toISOString(),
      meta: event.meta ?? {},
    };
  }
}

/** Whether a stored event says what a fired one says (the same name and data). */
function sameContent(fired: FiredEvent, stored: StoredEvent): boolean {
  if (fired.event.name !== stored.name) return false;
  const firedJson = encodedDataOf(fired.event) ?? JSON.stringify(fired.event.data ?? null);
  return firedJson === JSON.stringify(stored.data);
}
