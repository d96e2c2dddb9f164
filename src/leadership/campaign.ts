/**
 * One campaign: a process asking to lead one lease name, leading while it holds it, and asking
 * again whenever it stops. The keeper (`lease-keeper.ts`) renews for every campaign of the process
 * at once and deposes its leaders; a campaign only asks, waits, and tells its owner.
 *
 * Guarantees:
 * - `onElected(term)` and `onDeposed(reason)` alternate, starting with `onElected`: every election
 *   is followed by exactly one deposition (`'closed'` when the campaign or its keeper is closed),
 *   and `onDeposed` is called before the lease is released, so the owner stops acting first;
 * - a refused campaign asks again once the holder's tenure would have ended (plus a jitter), at
 *   once when `retryNow()` is called (after the ask in flight, if any), and after a pause when the
 *   store fails;
 * - after `close()` nothing more is asked, and a lease granted meanwhile is released.
 */
import type { Logger } from '../container.js';
import type { Lease, LeaseStore } from '../engines/engine.js';
import { retryDelayMs } from './lease-timing.js';
import { StoreUnavailableError } from '../errors.js';

export function isClosedStore(error: unknown): boolean {
  return error instanceof StoreUnavailableError && error.closed;
}

/**
 * Why a leader stopped: its tenure lapsed in the store, it could not renew in time, a successor's
 * write fenced it out (its owner found out by appending), or it was closed.
 */
export type DeposedReason = 'lapsed' | 'expiring' | 'fenced' | 'closed';

export interface CampaignCallbacks {
  /** This process now leads `name`: act, passing `term` as the `fencingTerm` of every append. */
  onElected(term: number): void;
  /** Stop acting for `name` at once. The campaign goes on (unless closed) and may be elected again. */
  onDeposed(reason: DeposedReason): void;
  /** Another holder holds `name` (who, in which term, for how long): the campaign waits, then asks again. */
  onRefused?(held: Lease): void;
}

export interface CampaignHandle {
  readonly name: string;
  /** The term this process leads in, or `undefined` while it does not lead. */
  readonly current: number | undefined;
  /** Asks at once instead of waiting for the holder's tenure to end (the holder said it left). */
  retryNow(): void;
  /**
   * Takes the lease from a holder that does not act, if its term is still `term` (see
   * `LeaseStore.takeOverLease`); asks as usual afterwards. Does nothing while leading or asking.
   */
  takeOver(term: number): void;
  /** A successor's write fenced this leader out: stop leading now, and ask again as a follower. */
  stepDown(): void;
  /** Stops campaigning; if leading, steps down and releases the lease at once. */
  close(): Promise<void>;
}

/** What a campaign needs from its keeper. */
export interface CampaignHost {
  readonly store: LeaseStore;
  readonly holder: string;
  readonly ttlMs: number;
  readonly retryAfterFailureMs: number;
  readonly logger: Logger | undefined;
  /** Takes in a grant of a call sent at `sentAt`; false when it came too late to act on. */
  acceptGrant(sentAt: number, expiresInMs: number): boolean;
  /** The store was closed by its owner: every campaign ends. */
  storeClosed(): void;
  /** Hears every lease answer, for the estimate of the store's clock. */
  observed(expiresAt: string, expiresInMs: number): void;
  startedLeading(campaign: Campaign): void;
  stoppedLeading(campaign: Campaign): void;
  closed(campaign: Campaign): void;
}

type State = 'waiting' | 'asking' | 'leading' | 'closed';

export class Campaign {
  readonly name: string;
  readonly #host: CampaignHost;
  readonly #callbacks: CampaignCallbacks;
  #state: State = 'waiting';
  #term: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #asking: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #nudged = false;

  constructor(name: string, host: CampaignHost, callbacks: CampaignCallbacks) {
    this.name = name;
    this.#host = host;
    this.#callbacks = callbacks;
  }

  get current(): number | undefined {
    return this.#term;
  }

  /** What the owner holds: the campaign's name, its term, and how to nudge or close it. */
  get handle(): CampaignHandle {
    const current = (): number | undefined => this.#term;
    return {
      name: this.name,
      get current() {
        return current();
      },
      retryNow: () => this.retryNow(),
      takeOver: (term) => this.takeOver(term),
      stepDown: () => this.depose('fenced'),
      close: () => this.close(),
    };
  }

  /** Asks for the lease, or takes it over from a holder that does not act if `takeOverTerm` is given. */
  start(takeOverTerm?: number): void {
    this.#ask(takeOverTerm);
  }

  retryNow(): void {
    if (this.#state === 'asking') {
      // The ask in flight may have been judged before the holder left: ask once more if refused.
      this.#nudged = true;
    } else if (this.#state === 'waiting') {
      clearTimeout(this.#timer);
      this.#ask();
    }
  }

  takeOver(term: number): void {
    if (this.#state !== 'waiting') return;
    clearTimeout(this.#timer);
    this.#ask(term);
  }

  /** Steps down (the keeper's decision); the campaign asks again at once unless it is closed. */
  depose(reason: DeposedReason): void {
    if (this.#state !== 'leading') return;
    this.#state = 'waiting';
    this.#term = undefined;
    this.#host.stoppedLeading(this);
    this.#tell(() => this.#callbacks.onDeposed(reason));
    if (reason !== 'closed') this.#waitThenAsk(0);
  }

  /**
   * Stops campaigning. `release: false` leaves a lease held to lapse or to be released with the
   * whole tenure (the keeper's `releaseHolder`), as the keeper does when it closes.
   */
  close(release = true): Promise<void> {
    this.#closing ??= this.#close(release);
    return this.#closing;
  }

  async #close(release: boolean): Promise<void> {
    const wasLeading = this.#state === 'leading';
    this.depose('closed');
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#host.closed(this);
    await this.#asking;
    if (wasLeading && release) await this.#release();
  }

  #ask(takeOverTerm?: number): void {
    this.#state = 'asking';
    this.#nudged = false;
    this.#asking = this.#askOnce(takeOverTerm);
  }

  async #askOnce(takeOverTerm: number | undefined): Promise<void> {
    const { store, holder, ttlMs } = this.#host;
    const sentAt = performance.now();
    let answer;
    try {
      answer =
        takeOverTerm === undefined
          ? await store.acquireLease(this.name, { holder, ttlMs })
          : await store.takeOverLease(this.name, { holder, ttlMs }, takeOverTerm);
      this.#host.observed(answer.expiresAt, answer.expiresInMs);
    } catch (error) {
      if (isClosedStore(error)) {
        // Nobody will ever answer: campaigning on would keep the process alive for nothing.
        this.#host.storeClosed();
        return;
      }
      this.#host.logger?.warn('could not ask for a lease; asking again shortly', { lease: this.name, error });
      this.#waitThenAsk(this.#host.retryAfterFailureMs);
      return;
    }
    if (this.#state === 'closed') {
      if (answer.granted) await this.#release();
    } else if (!answer.granted) {
      this.#waitThenAsk(this.#nudged ? 0 : retryDelayMs(answer.expiresInMs));
      const { granted: _, ...held } = answer;
      this.#tell(() => this.#callbacks.onRefused?.(held));
    } else if (!this.#host.acceptGrant(sentAt, answer.expiresInMs)) {
      // Granted, but the answer took so long that the tenure may end before anything is done.
      this.#waitThenAsk(0);
    } else {
      this.#lead(answer.term);
    }
  }

  #lead(term: number): void {
    this.#state = 'leading';
    this.#term = term;
    this.#host.startedLeading(this);
    this.#tell(() => this.#callbacks.onElected(term));
  }

  #waitThenAsk(delayMs: number): void {
    if (this.#state === 'closed') return;
    this.#state = 'waiting';
    clearTimeout(this.#timer);
    // The keeper's process hold decides whether an open campaign keeps the process alive.
    this.#timer = setTimeout(() => this.#ask(), delayMs).unref();
  }

  async #release(): Promise<void> {
    try {
      await this.#host.store.releaseLease(this.name, this.#host.holder);
    } catch (error) {
      this.#host.logger?.warn('could not release a lease; it lapses with its tenure', {
        lease: this.name,
        error,
      });
    }
  }

  /** A callback that throws is reported, never allowed to stop the campaign. */
  #tell(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#host.logger?.error('a campaign callback threw', { lease: this.name, error });
    }
  }
}
