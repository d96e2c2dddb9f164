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
 *   caller, `Flush` and the error hook, and the events are taken back out of the state). A pending
 *   event whose handler refuses it on top of the winners is taken out, rejected and never stored.
 * - A command whose invariant must hold under concurrency runs inside `RerunOnConflict`: on a
 *   conflict its events are dropped and the command itself runs again on the new state.
 *
 * Local state is always "confirmed events, then pending local events" (`optimistic-state.ts`), so
 * the state must be structured-cloneable: plain objects, arrays, Maps, Sets, Dates, primitives.
 */
import type { Container } from '../container.js';
import type { EventMap } from '../events/envelope.js';
import { ActorCore } from './actor-core.js';
import { registerLibraryClass } from './handlers.js';
import { LivePolicy } from './live-policy.js';

export class LiveActor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  readonly #live: LivePolicy;

  constructor(id: string, container: Container) {
    let policy: LivePolicy | undefined;
    super(id, container, (machinery) => (policy = new LivePolicy(machinery)));
    this.#live = policy as LivePolicy;
  }

  /** The version of the last stored event applied; `version` also counts pending local events. */
  get confirmedVersion(): number {
    return this.#live.confirmedVersion;
  }

  /**
   * Runs `command` so that its events land only on the state it saw: on a version conflict they
   * are dropped, the winners' events are applied, and the command runs again, until its events
   * land or the retries run out. Use it for commands whose invariant must hold under concurrency
   * ("no more than 3 login attempts"); a plain command's events are instead re-applied on top of
   * the winners as they are. The command must be synchronous; it may throw to refuse, and may
   * fire nothing. Resolves to what the run whose events landed returned. `Flush` and `Dispose`
   * wait for it.
   */
  RerunOnConflict<R>(command: () => R): Promise<R> {
    return this.#live.rerunOnConflict(command);
  }
}

registerLibraryClass(LiveActor);
