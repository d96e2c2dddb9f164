/**
 * How a leader serves the requests of its id's request stream: in version order, each applied
 * through its handler on the stored state, accepted ones appended with the leader's term, refused
 * ones answered with a `refused` record.
 *
 * The rule that keeps every request answered exactly once, whoever leads and whatever fails:
 * **every request below the highest one served by a stored event is answered** (stored, or
 * refused with a record). So the mark (`servedThrough`) is derived from the actor's stream alone
 * (`meta.request` of its events), and a leader never stores a request's event before every earlier
 * request is answered: it appends the accepted requests before a refusal, then writes the
 * refusal, then goes on. A refusal is therefore always decided on stored events, and a failure at
 * any point leaves every unanswered request above the mark, for this leader's next round or its
 * successor. Which requests above the mark were refused is read from the records themselves.
 *
 * A round that meets another writer (a conflict, or an event id already stored) reads the stream
 * and starts again from the mark; a round fenced out steps the leader down; any other failure
 * ends the round with the error, and the caller tries again later.
 */
import { ConcurrencyError, DuplicateEventError, FencedError, UsageError } from '../errors.js';
import { encodedEvent } from '../events/encoded-event.js';
import type { StoredEvent } from '../events/envelope.js';
import { readRequestRecord, refusalOf, type Request } from '../leadership/requests.js';
import { appendEventsRetryingUnavailable } from './append-retry.js';
import { appendOnce } from './append-pending.js';
import type { ActorMachinery, FiredEvent } from './kind-policy.js';
import { firedForRequest } from './leader-events.js';
import type { OptimisticState } from './optimistic-state.js';

/** How many records one read of the request stream takes. */
const REQUEST_PAGE_SIZE = 1000;
/** Rounds restarted by other writers before the round gives up (and is tried again later). */
const MAX_RESTARTS = 100;

/** What serving needs from its actor's policy. */
export interface ServingHost {
  readonly machinery: ActorMachinery;
  readonly local: OptimisticState;
  readonly requestStream: string;
  /** A TickActor's leader refuses requests to fire `tick`: only it ticks. */
  readonly ticking: boolean;
  /** Whether the actor still leads in `term`. */
  leads(term: number): boolean;
  /** The highest request served by an event the actor has applied. */
  servedThrough(): number;
  /** Reads and applies what is stored after the actor's confirmed version. */
  readStored(): Promise<void>;
  /** Takes note of events this leader stored (requests served, ticks), as if heard from the store. */
  noteStored(events: readonly StoredEvent[]): void;
  /** A successor's write refused ours: stop leading. */
  stepDown(term: number, error: FencedError): void;
}

type Outcome = 'answered' | 'again' | 'deposed';

export class RequestServer {
  readonly #host: ServingHost;
  /** While leading in `#term`: every request below this one is answered (a memo of one term's rounds). */
  #term: number | undefined;
  #answeredBelow = 1;
  /**
   * Records of the request stream heard from the live feed (in version order, without gaps) from
   * `#answeredBelow` on: after a term's first round, which reads the store, a round can take its
   * requests from here instead of reading them again. No refusal of an earlier leader can land
   * after this leader's `elected` record (it is fenced), so nothing the store holds beyond what was
   * heard can answer a request that was heard.
   */
  #heard: StoredEvent[] = [];

  constructor(host: ServingHost) {
    this.#host = host;
  }

  /** Takes in records the live feed delivered, in version order. */
  hear(records: readonly StoredEvent[]): void {
    for (const record of records) {
      const last = this.#heard.at(-1);
      if (last !== undefined && record.version <= last.version) continue;
      if (last !== undefined && record.version !== last.version + 1) this.#heard = [];
      if (record.version >= this.#answeredBelow) this.#heard.push(record);
    }
  }

  /**
   * Serves every unanswered request, in version order, while leading in `term`. False when other
   * writers kept restarting the round: the caller tries again after a pause. `fromHeard`: the
   * round was prompted by records the live feed delivered, which may be enough to serve from.
   */
  async serve(term: number, fromHeard = false): Promise<boolean> {
    const host = this.#host;
    let memo = this.#term === term;
    if (!memo) {
      this.#term = term;
      this.#answeredBelow = 1;
    }
    for (let restarts = 0; host.leads(term); restarts++) {
      if (restarts > MAX_RESTARTS) return false;
      const from = Math.max(this.#answeredBelow, host.servedThrough() + 1);
      const heard = memo && fromHeard ? this.#heardFrom(from) : undefined;
      const { requests, lastVersion } = unansweredIn(
        heard ?? (await this.#read(from)),
        from - 1,
        host.servedThrough(),
      );
      const outcome = await this.#answer(term, requests);
      if (outcome === 'deposed') return true;
      if (outcome === 'answered') {
        this.#answeredBelow = Math.max(this.#answeredBelow, lastVersion + 1);
        this.#heard = this.#heard.filter((record) => record.version >= this.#answeredBelow);
        return true;
      }
      // Another writer moved the stream: read the store from now on.
      memo = false;
    }
    return true;
  }

  /** The heard records from `from` on, if they start there; otherwise the store must be read. */
  #heardFrom(from: number): StoredEvent[] | undefined {
    const first = this.#heard[0];
    if (first === undefined || first.version > from) return undefined;
    return this.#heard.filter((record) => record.version >= from);
  }

  /** The whole tail of the request stream from `from` on: a request's refusal follows it. */
  async #read(from: number): Promise<StoredEvent[]> {
    const { machinery, requestStream } = this.#host;
    const tail: StoredEvent[] = [];
    for (let next = from; ;) {
      const records = await machinery.container.store.readStream(requestStream, {
        fromVersion: next,
        limit: REQUEST_PAGE_SIZE,
      });
      tail.push(...records);
      if (records.length < REQUEST_PAGE_SIZE) return tail;
      next = (records.at(-1) as StoredEvent).version + 1;
    }
  }

  /** Answers `requests` in order: accepted ones appended before each refusal is written. */
  async #answer(term: number, requests: readonly Request[]): Promise<Outcome> {
    const { machinery, local, ticking } = this.#host;
    let accepted: FiredEvent[] = [];
    for (const request of requests) {
      if (!this.#host.leads(term)) {
        // What was applied here for this round will not be stored by this leader: take it back out.
        local.drop(accepted);
        return 'deposed';
      }
      let refusal: unknown;
      if (ticking && request.eventName === 'tick') {
        refusal = new UsageError(`${machinery.className} fires its ticks itself; "tick" cannot be requested`);
      } else {
        const fired = firedForRequest(machinery.className, request, term);
        try {
          // As a re-runnable command's: a refusal goes back to the requester, not to this node's hook.
          local.applyFired(fired, true);
          accepted.push(fired);
          continue;
        } catch (error) {
          refusal = error;
        }
      }
      // Decided on stored events only: what was accepted before it is stored first.
      const stored = await this.#append(term, accepted, requests);
      if (stored !== 'answered') return stored;
      accepted = [];
      const refused = await this.#refuse(term, request, refusal);
      if (refused !== 'answered') return refused;
    }
    return this.#append(term, accepted, requests);
  }

  /** Appends the accepted events of `requests` (the round's), expecting the confirmed version. */
  async #append(
    term: number,
    accepted: readonly FiredEvent[],
    requests: readonly Request[],
  ): Promise<Outcome> {
    if (accepted.length === 0) return 'answered';
    const host = this.#host;
    let stored: readonly StoredEvent[];
    try {
      stored = await appendOnce(host.machinery, accepted, host.local.confirmedVersion, term);
    } catch (error) {
      host.local.drop(accepted);
      if (error instanceof FencedError) {
        host.stepDown(term, error);
        return 'deposed';
      }
      if (!(error instanceof ConcurrencyError || error instanceof DuplicateEventError)) throw error;
      // Another writer (a leader not yet deposed) stored events meanwhile: read them, start again.
      const markBefore = host.servedThrough();
      await host.readStored();
      if (error instanceof DuplicateEventError && host.servedThrough() === markBefore) {
        // The id is stored, but not as an event that served a request: the requester reused an
        // id. Refuse that request; the others are served again.
        const request = requests.find((each) => each.eventId === error.eventId);
        if (request !== undefined) {
          const refused = await this.#refuse(term, request, error);
          if (refused === 'deposed') return refused;
        }
      }
      return 'again';
    }
    host.local.acceptStored(stored);
    host.noteStored(stored);
    return 'answered';
  }

  async #refuse(term: number, request: Request, error: unknown): Promise<Outcome> {
    const { machinery, requestStream } = this.#host;
    const record = encodedEvent({
      id: machinery.container.newId(),
      name: 'refused',
      dataJson: JSON.stringify(refusalOf(request, machinery.version() + 1, error)),
      metaJson: JSON.stringify({ actor: machinery.className, term }),
      at: machinery.container.clock.now().toISOString(),
    });
    try {
      // Fenced: once a successor has written its `elected` record, no refusal of ours can land.
      await appendEventsRetryingUnavailable(machinery.container.store, requestStream, [record], {
        fencingTerm: term,
      });
      return 'answered';
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      this.#host.stepDown(term, error);
      return 'deposed';
    }
  }
}

/** The requests of `tail` that no record answers (above the mark, not refused), in version order. */
function unansweredIn(
  tail: readonly StoredEvent[],
  before: number,
  servedThrough: number,
): { requests: Request[]; lastVersion: number } {
  const requests: Request[] = [];
  const refused = new Set<number>();
  for (const stored of tail) {
    const record = readRequestRecord(stored);
    if (record?.kind === 'request') requests.push(record.request);
    else if (record?.kind === 'refused') refused.add(record.refusal.request);
  }
  return {
    requests: requests.filter((request) => request.version > servedThrough && !refused.has(request.version)),
    lastVersion: tail.at(-1)?.version ?? before,
  };
}
