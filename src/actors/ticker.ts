/**
 * A TickActor leader's clock: when to fire the next tick, and firing it.
 *
 * Ticks keep to the grid of `tick-schedule.ts` on the store's clock (estimated from lease answers,
 * never ahead of the store): a tick is fired when the store's time has reached its planned time,
 * never before. Its id is derived from (id, n): a tick n that two leaders fire for a moment is
 * stored once, and the one that finds it stored reads it and plans the next.
 *
 * Nothing here waits inside the actor's lane longer than an append: every wait is a timer, so
 * commands, serving and `Dispose` are never held up by the clock. Timers are capped (Node clamps
 * delays over about 24.8 days to 1 ms) and re-check the store's clock when they fire.
 */
import { DuplicateEventError, type FencedError } from '../errors.js';
import { derivedEventId } from '../events/derived-id.js';
import { encodedEvent } from '../events/encoded-event.js';
import type { StoredEvent } from '../events/envelope.js';
import type { StoreClock } from '../leadership/store-clock.js';
import { nextTick, tickData, type LastTick, type MissedTicks } from '../leadership/tick-schedule.js';
import { appendPending } from './append-pending.js';
import { firedEventOf, type ActorMachinery, type FiredEvent } from './kind-policy.js';
import type { OptimisticState } from './optimistic-state.js';

/** The longest a tick timer waits before checking the store's clock again. */
const LONGEST_TIMER_MS = 60_000;

export interface TickingHost {
  readonly machinery: ActorMachinery;
  readonly local: OptimisticState;
  readonly storeClock: StoreClock;
  readonly resolutionMs: number;
  readonly missedTicks: MissedTicks;
  leads(term: number): boolean;
  /** The latest tick the actor has applied. */
  lastTick(): LastTick | undefined;
  readStored(): Promise<void>;
  noteStored(events: readonly StoredEvent[]): void;
  /** Applies a tick on the state; false (reported) if the handler refused it. */
  applyAsLeader(fired: FiredEvent): boolean;
  fenced(term: number, pending: readonly FiredEvent[], error: FencedError): Promise<void>;
  /** Runs `work` in the actor's lane, reporting what it throws. */
  inLane(work: () => Promise<void>, operation: string): void;
}

export class Ticker {
  readonly #host: TickingHost;
  #term: number | undefined;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(host: TickingHost) {
    this.#host = host;
  }

  /**
   * Starts ticking for a leader of `term` (again for the same term: nothing changes): the first
   * tick, if none is stored, one resolution from now.
   */
  start(term: number): void {
    if (this.#term === term) return;
    this.#term = term;
    this.#startedAt = this.#now();
    this.#schedule(term);
  }

  stop(): void {
    this.#term = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #now(): number {
    const clock = this.#host.storeClock;
    // Known once the store has answered a lease call, which precedes every election.
    return clock.known ? clock.now() : Date.now();
  }

  #plan() {
    const host = this.#host;
    return nextTick(host.lastTick(), this.#startedAt, host.resolutionMs, this.#now(), host.missedTicks);
  }

  /** Fires the next tick at its planned time, or after `atLeastMs` if that is later. */
  #schedule(term: number, atLeastMs = 0): void {
    if (this.#term !== term || !this.#host.leads(term)) return;
    clearTimeout(this.#timer);
    const due = Math.max(atLeastMs, this.#plan().plannedAt - this.#now());
    // Whole milliseconds, rounded up: a timer never fires before its planned time.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#host.inLane(() => this.#tick(term), 'tick');
      },
      Math.ceil(Math.min(LONGEST_TIMER_MS, Math.max(0, due))),
    ).unref();
  }

  async #tick(term: number): Promise<void> {
    const host = this.#host;
    if (this.#term !== term || !host.leads(term)) return;
    const planned = this.#plan();
    const now = this.#now();
    if (now < planned.plannedAt) {
      this.#schedule(term);
      return;
    }
    const { machinery } = host;
    const fired = firedEventOf(
      encodedEvent({
        id: derivedEventId('tick', machinery.id, String(planned.n)),
        name: 'tick',
        dataJson: JSON.stringify(tickData(planned)),
        metaJson: JSON.stringify({ actor: machinery.className, term }),
        at: new Date(now).toISOString(),
      }),
    );
    if (!host.applyAsLeader(fired)) {
      // The handler refused the tick (reported): try again one resolution later.
      this.#schedule(term, host.resolutionMs);
      return;
    }
    let pause = 0;
    try {
      const stored = await appendPending(machinery, host.local, [fired], () => host.readStored(), {
        fencingTerm: term,
        onFenced: (pending, error) => host.fenced(term, pending, error),
      });
      host.noteStored(stored);
    } catch (error) {
      // Another leader stored tick n first (the same id): read it, and plan from it.
      if (!(error instanceof DuplicateEventError)) machinery.reportFailure(error, 'append', 'tick');
      const before = host.lastTick()?.n;
      await host.readStored().catch(() => undefined);
      // Nothing new was read: the store is failing, or something else holds the id. Do not spin.
      if (host.lastTick()?.n === before) pause = host.resolutionMs;
    }
    this.#schedule(term, pause);
  }
}
