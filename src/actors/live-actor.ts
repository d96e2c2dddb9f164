/**
 * `LiveActor`: the optimistic kind, live across processes.
 *
 * - `Fire` applies the event to local state at once, then appends it expecting the version the
 *   actor last confirmed. Events fired while an append is in flight wait and go together in the
 *   next append, so a hot stream does not turn into a storm of conflicts.
 * - Every other writer's event reaches the actor through the live feed, in version order, and is
 *   applied as soon as it arrives, on every process that holds the actor.
 * - On a `ConcurrencyError` the actor rebases: it reads the winners' events, rebuilds its state as
 *   the confirmed events, then the winners, then its own pending events re-applied on top, and
 *   appends again, until the events land or the retries run out (then the error reaches the
 *   caller, `Flush` and the error hook, and the events are taken back out of the state).
 * - A command whose invariant must hold under concurrency runs inside `RerunOnConflict`: on a
 *   conflict its events are dropped and the command itself runs again on the new state.
 *
 * Local state is always "confirmed events, then pending local events", so a rebase never leaves a
 * state that no sequence of stored events would produce. To rebuild it, the actor keeps a copy of
 * its confirmed state taken when the first pending event of a burst was fired (`structuredClone`,
 * so state must be structured-cloneable: plain objects, arrays, Maps, Sets, Dates, primitives).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, UsageError } from '../errors.js';
import type { EventMap, NewEvent, StoredEvent } from '../events/envelope.js';
import { LiveFeed, type LiveWatch } from '../live/live-feed.js';
import { ActorCore, type FiredEvent } from './actor-core.js';
import { registerLibraryClass } from './handlers.js';

/**
 * Appends (or command runs) tried before the conflict is reported. Each attempt follows the
 * winners, so only a stream that other writers keep ahead of for this long gives up: with the
 * backoff below, that is about half a minute of uninterrupted losing.
 */
const MAX_APPEND_ATTEMPTS = 1000;
/** The longest pause between two attempts; pauses grow from 1 ms, with jitter. */
const MAX_BACKOFF_MS = 50;

type PendingEvent = NewEvent & { id: string };

export class LiveActor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  /** The confirmed state when the current burst of pending events began. */
  #base: State | undefined;
  #baseVersion = 0;
  /** Events stored since `#base` was taken: ours that landed and others' that won. */
  #confirmedSinceBase: StoredEvent[] = [];
  /** Events fired and applied locally but not yet stored, in firing order. */
  #pending: PendingEvent[] = [];
  #watch: LiveWatch | undefined;

  /** The version of the last stored event applied; `version` also counts pending local events. */
  get confirmedVersion(): number {
    return this.#base === undefined ? this.version : this.#baseVersion + this.#confirmedSinceBase.length;
  }

  /**
   * Runs `command` so that its events land only on the state it saw: on a version conflict they
   * are dropped, the winners' events are applied, and the command runs again, until its events
   * land or the retries run out. Use it for commands whose invariant must hold under concurrency
   * ("no more than 3 login attempts"); a plain command's events are instead re-applied on top of
   * the winners as they are. The command must be synchronous; it may throw to refuse, and may
   * fire nothing. Resolves to what the run whose events landed returned.
   */
  async RerunOnConflict<R>(command: () => R): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      await this.settled();
      await this.exclusive(() => this.#readWinners());
      // The command decides on this version: its events land right after it, or not at all.
      const decidedOn = this.confirmedVersion;
      const run = this.captureFired(command);
      const { fired } = run;
      if (run.threw || typeof (run.result as PromiseLike<unknown> | undefined)?.then === 'function') {
        const refusal = run.threw
          ? run.error
          : new UsageError(
              'a command run by RerunOnConflict must be synchronous: it runs again on a conflict',
            );
        // A promise the command returned would reject with its dropped events: nobody awaits it.
        if (!run.threw) Promise.resolve(run.result).catch(() => undefined);
        // The command refused (or cannot be re-run): what it fired is dropped, never stored.
        this.#forget(fired.map((each) => each.event.id));
        for (const each of fired) each.reject(refusal);
        throw refusal;
      }
      const result = run.result;
      if (fired.length === 0) return result;
      try {
        await this.exclusive(() =>
          this.#appendOnce(fired, { expectedVersion: decidedOn, keepOnConflict: false }),
        );
        return result;
      } catch (error) {
        for (const each of fired) each.reject(error);
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
      }
      await sleep(backoff(attempt));
    }
  }

  protected override beforeQueue(event: PendingEvent): void {
    if (this.#pending.length === 0) {
      this.#base = structuredClone(this._state);
      this.#baseVersion = this.version;
      this.#confirmedSinceBase = [];
    }
    this.#pending.push(event);
    try {
      this.applyEvent(this.#provisional(event, this.version + 1));
    } catch (error) {
      // The event was never stored: forget it and rebuild the state its handler may have half-changed.
      this.#pending.pop();
      this.#rebuild();
      if (this.#pending.length === 0) this.#dropBase();
      throw error;
    }
  }

  protected async appendFired(batch: FiredEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#appendOnce(batch, {
          expectedVersion: this.confirmedVersion,
          keepOnConflict: attempt < MAX_APPEND_ATTEMPTS,
        });
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
      }
      // The batch stays pending: re-applied on top of the winners, it is appended again. The
      // winners are read after the pause, so the next attempt expects the newest version.
      await sleep(backoff(attempt));
      await this.#readWinners();
    }
  }

  protected override async afterLoad(): Promise<void> {
    if (this.#watch !== undefined) return;
    const feed = LiveFeed.of(this.container.store, this.container.logger);
    this.#watch = await feed.watch(this.id, this.confirmedVersion + 1, (events) => {
      void this.exclusive(() => this.#receive(events)).catch((error: unknown) =>
        this.reportFailure(error, 'apply', events.map((event) => event.name).join(', ')),
      );
    });
  }

  protected override async onDispose(): Promise<void> {
    this.#watch?.close();
    this.#watch = undefined;
  }

  /**
   * Appends the fired events once, expecting the confirmed version. On success they are
   * confirmed and their promises resolved; on a failure they are taken out of the state, unless
   * it is a conflict and the caller will rebase them.
   */
  async #appendOnce(
    batch: FiredEvent[],
    options: { expectedVersion: number; keepOnConflict: boolean },
  ): Promise<void> {
    let result;
    try {
      result = await this.container.store.appendToStream(
        this.id,
        batch.map((fired) => fired.event),
        { expectedVersion: options.expectedVersion },
      );
    } catch (error) {
      if (!(options.keepOnConflict && error instanceof ConcurrencyError)) {
        this.#forget(batch.map((fired) => fired.event.id));
      }
      throw error;
    }
    this.#confirm(result.events);
    result.events.forEach((stored, index) => batch[index]?.resolve(stored));
  }

  /** Applies what other writers stored after the confirmed version (the feed may not have brought it yet). */
  async #readWinners(): Promise<void> {
    const winners = await this.container.store.readStream(this.id, {
      fromVersion: this.confirmedVersion + 1,
    });
    this.#acceptConfirmed(winners);
  }

  /** Events from the live feed: other writers' (and echoes of our own, already confirmed). */
  async #receive(events: readonly StoredEvent[]): Promise<void> {
    const first = events.find((event) => event.version > this.confirmedVersion);
    if (first === undefined) return;
    if (first.version > this.confirmedVersion + 1) await this.#readWinners();
    this.#acceptConfirmed(events);
  }

  /** Stored events in version order: those after the confirmed version become confirmed state. */
  #acceptConfirmed(events: readonly StoredEvent[]): void {
    const fresh = events.filter((event) => event.version > this.confirmedVersion);
    if (fresh.length === 0) return;
    if (this.#pending.length === 0) {
      this.#base = undefined;
      for (const event of fresh) this.applyEvent(event);
      return;
    }
    this.#confirmedSinceBase.push(...fresh);
    this.#rebuild();
  }

  /** Our pending events landed as `stored`: they are confirmed now. */
  #confirm(stored: readonly StoredEvent[]): void {
    const landed = new Set(stored.map((event) => event.id));
    const wasPrefix = this.#pending.slice(0, landed.size).every((event) => landed.has(event.id));
    this.#pending = this.#pending.filter((event) => !landed.has(event.id));
    this.#confirmedSinceBase.push(...stored);
    // Landing out of firing order changes the order state was built in: build it again.
    if (!wasPrefix) this.#rebuild();
    if (this.#pending.length === 0) this.#dropBase();
  }

  /** These pending events will never be stored as they are: take them out of the state. */
  #forget(ids: readonly string[]): void {
    const dropped = new Set(ids);
    this.#pending = this.#pending.filter((event) => !dropped.has(event.id));
    this.#rebuild();
    if (this.#pending.length === 0) this.#dropBase();
  }

  #dropBase(): void {
    this.#base = undefined;
    this.#confirmedSinceBase = [];
  }

  /** State = the confirmed base, then every event confirmed since, then the pending events on top. */
  #rebuild(): void {
    if (this.#base === undefined) return;
    this._state = structuredClone(this.#base);
    this.setVersion(this.#baseVersion);
    for (const event of this.#confirmedSinceBase) this.applyEvent(event);
    for (const event of this.#pending) this.applyEvent(this.#provisional(event, this.version + 1));
  }

  /** A pending event as its handler sees it: what it will be once stored (its position is 0 until then). */
  #provisional(event: PendingEvent, version: number): StoredEvent {
    return {
      id: event.id,
      stream: this.id,
      name: event.name,
      data: event.data === undefined ? null : (JSON.parse(JSON.stringify(event.data)) as unknown),
      version,
      position: 0,
      at: typeof event.at === 'string' ? event.at : (event.at ?? new Date()).toISOString(),
      meta: event.meta ?? {},
    };
  }
}

function backoff(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt);
}

registerLibraryClass(LiveActor);
