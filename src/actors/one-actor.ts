/**
 * `OneActor`: a singleton per id. One leader, elected through a lease in the store, decides and
 * appends; `Fire` on any other node is not applied locally but sent to the leader through the
 * store, and resolves once the leader's event is applied locally (or rejects with the leader's
 * typed error if its handler refused it). Every node applies every event from the live feed.
 *
 * Failure behaviour (see `elected-policy.ts`):
 * - a leader that dies (`kill -9`) or stops acting: a requester whose request waits
 *   `requestTimeoutMs` takes the lease over, so a new leader serves within about that time;
 * - two leaders for a moment (a paused one waking up): every leader append carries its lease term
 *   as the fencing term and the expected version, so the stale one is refused (`FencedError`, its
 *   events go to the new leader as requests) and the stream stays one correct sequence;
 * - a request served twice is stored once: its event id is the requester's;
 * - `Dispose` of the leader hands the lease over at once.
 *
 * Settings, as static fields of the subclass: `leaseTtlMs` (default 1500: a shorter TTL fails over
 * sooner after a crash but costs more renewals, one call per process every third of it, and leaves
 * less room for a slow store before a healthy leader steps down) and `requestTimeoutMs` (default
 * 1000: how long a request may wait before its sender takes the lease over; shorter fails over
 * sooner, but a leader that is only slow may be replaced).
 */
import type { Container } from '../container.js';
import { InvalidActorIdError } from '../errors.js';
import type { EventMap } from '../events/envelope.js';
import { MAX_ELECTED_ID_LENGTH, REQUEST_STREAM_PREFIX } from '../leadership/requests.js';
import { DEFAULT_LEASE_TTL_MS } from '../leadership/lease-timing.js';
import { ActorCore } from './actor-core.js';
import { electedOptionsOf } from './elected-options.js';
import { ElectedPolicy } from './elected-policy.js';
import { registerLibraryClass } from './handlers.js';

export class OneActor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  /** How long a leader's lease lasts without renewal, in milliseconds of the store's clock. */
  static leaseTtlMs = DEFAULT_LEASE_TTL_MS;
  /** How long a request may wait for the leader before its sender takes the lease over. */
  static requestTimeoutMs = 1000;

  readonly #elected: ElectedPolicy;

  constructor(id: string, container: Container) {
    checkElectedId(id, new.target.name);
    const options = electedOptionsOf(new.target, false);
    let policy: ElectedPolicy | undefined;
    super(id, container, (machinery) => (policy = new ElectedPolicy(machinery, options)));
    this.#elected = policy as ElectedPolicy;
  }

  /** Whether this instance leads its id now (it decides and appends for every node). */
  get isLeader(): boolean {
    return this.#elected.leading;
  }
}

/** The id of an elected actor: a stream id whose request stream fits the store's limit. */
export function checkElectedId(id: unknown, className: string): void {
  if (typeof id !== 'string') return; // the core refuses it, with the usual message
  const where = `new ${className}(id, container)`;
  if (id.length > MAX_ELECTED_ID_LENGTH) {
    throw new InvalidActorIdError(
      where,
      id,
      `is ${id.length} characters long; an elected actor's limit is ${MAX_ELECTED_ID_LENGTH}`,
    );
  }
  if (id.startsWith(REQUEST_STREAM_PREFIX)) {
    throw new InvalidActorIdError(
      where,
      id,
      `"${id}" starts with "${REQUEST_STREAM_PREFIX}", which names request streams`,
    );
  }
}

registerLibraryClass(OneActor);
