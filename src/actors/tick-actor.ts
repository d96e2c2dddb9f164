/**
 * `TickActor`: an actor on a clock. While at least one node holds a loaded instance of an id, the
 * elected leader for that id fires `tick` events `{ n, at }` every `resolution` milliseconds:
 * `n` from 1, strictly increasing, never repeated, across restarts and failovers; `at` the tick's
 * planned time on the store's clock, and tick n is never stored before it ("at least": ten ticks
 * of a second take at least ten seconds). Other `Fire`s go to the leader, as for `OneActor`.
 *
 * What happens to ticks missed while no node held the actor is the class's `missedTicks`:
 * `'skip'` (the default) fires one tick for the latest missed slot with `missed`, the number of
 * slots it stands for; `'catch-up'` fires every missed tick, one by one (see `tick-schedule.ts`).
 *
 * Every loaded instance campaigns for the lease, so another node ticks within about one lease TTL
 * (`leaseTtlMs`, default 1500) of the leader's death, and at once after a graceful `Dispose`.
 * A tick's id is derived from (id, n): two leaders for a moment store tick n once.
 */
import type { Container } from '../container.js';
import type { EventMap } from '../events/envelope.js';
import type { MissedTicks, TickData } from '../leadership/tick-schedule.js';
import { DEFAULT_LEASE_TTL_MS } from '../leadership/lease-timing.js';
import { ActorCore } from './actor-core.js';
import { electedOptionsOf } from './elected-options.js';
import { ElectedPolicy } from './elected-policy.js';
import { registerLibraryClass } from './handlers.js';
import { checkElectedId } from './one-actor.js';

export type { MissedTicks, TickData };

export class TickActor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events & { tick: TickData }> {
  /** Milliseconds between two ticks (a whole number from 1 to 86 400 000). */
  static resolution = 1000;
  /** What becomes of ticks missed while no node held the actor: `'skip'` or `'catch-up'`. */
  static missedTicks: MissedTicks = 'skip';
  /** How long a leader's lease lasts without renewal, in milliseconds of the store's clock. */
  static leaseTtlMs = DEFAULT_LEASE_TTL_MS;
  /** How long a `Fire` sent to the leader may wait before its sender takes the lease over. */
  static requestTimeoutMs = 1000;

  readonly #elected: ElectedPolicy;

  constructor(id: string, container: Container) {
    checkElectedId(id, new.target.name);
    const options = electedOptionsOf(new.target, true);
    let policy: ElectedPolicy | undefined;
    super(id, container, (machinery) => (policy = new ElectedPolicy(machinery, options)));
    this.#elected = policy as ElectedPolicy;
  }

  /** Whether this instance leads its id now (it ticks). */
  get isLeader(): boolean {
    return this.#elected.leading;
  }
}

registerLibraryClass(TickActor);
