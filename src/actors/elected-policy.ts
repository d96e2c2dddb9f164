/**
 * The policy of the elected kinds (`OneActor`, `TickActor`): one leader per actor id decides and
 * appends; every other holder of the id forwards its `Fire`s to the leader through the store and
 * applies what the leader stored, from the live feed.
 *
 * - **Leader.** Elected through the process's lease keeper (`leadership/`); every append it makes
 *   carries its term as the fencing term. It serves the requests in the request stream
 *   (`leadership/requests.ts`) in version order: applies each through its handler (a refusal is
 *   written back for the requester), appends the accepted ones with the request's event id.
 * - **Follower.** Its `Fire` is not applied locally: it becomes a request record. The `Fire`
 *   resolves when the leader's event with that id is applied here, and rejects with the leader's
 *   typed error if the leader refused it. A request left unserved for `requestTimeoutMs` makes the
 *   requester take the lease over from the leader that does not act.
 * - **Exactly once.** A request's event id is chosen by the requester; a request served twice (a
 *   deposed leader and its successor, or a retry after a failover) is stored once: the expected
 *   version and the store's idempotent-append rule decide, and a stale leader is fenced out.
 * - **Cost.** A `OneActor` campaigns only when it needs a leader (at `Load`, and while a request of
 *   its own waits): 10 000 resident followers ask the store nothing while their leader acts. A
 *   `TickActor` campaigns for as long as it is loaded, so that ticking goes on when its leader dies.
 * - **Graceful stop.** `Dispose` of a leader releases the lease at once and writes a `handover`
 *   record: followers waiting on a request ask for the lease immediately.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DuplicateEventError, FencedError, UsageError } from '../errors.js';
import { derivedEventId } from '../events/derived-id.js';
import { encodedDataOf, encodedEvent, encodedMetaOf } from '../events/encoded-event.js';
import type { StoredEvent } from '../events/envelope.js';
import type { CampaignHandle, DeposedReason } from '../leadership/campaign.js';
import { LeaseKeeper } from '../leadership/lease-keeper.js';
import { isClosedStore } from '../leadership/campaign.js';
import {
  errorOf,
  leaseNameOf,
  readRequestRecord,
  refusalOf,
  requestStreamOf,
  type Request,
} from '../leadership/requests.js';
import {
  lastTickOf,
  nextTick,
  tickData,
  type LastTick,
  type MissedTicks,
} from '../leadership/tick-schedule.js';
import { LiveFeed, type LiveWatch } from '../live/live-feed.js';
import { appendEventsRetryingUnavailable } from './append-retry.js';
import { appendPending } from './append-pending.js';
import type { ActorMachinery, FiredEvent, KindPolicy } from './kind-policy.js';
import { OptimisticState } from './optimistic-state.js';
import { ticksIn } from './story-clock.js';

export interface ElectedOptions {
  readonly leaseTtlMs: number;
  readonly requestTimeoutMs: number;
  /** Set for a TickActor: it campaigns while loaded, and its leader ticks. */
  readonly ticking?: { readonly resolutionMs: number; readonly missedTicks: MissedTicks };
}

/** How many records of the request stream one read takes. */
const REQUEST_PAGE_SIZE = 1000;
/** The longest a tick timer waits before checking the store's clock again (Node clamps long delays). */
const LONGEST_TIMER_MS = 60_000;

interface Awaiting {
  readonly fired: FiredEvent;
  /** The version of its request record (0 until stored). */
  requestVersion: number;
  /** When it was sent, or last found unserved (`performance.now()`). */
  sentAt: number;
}

export class ElectedPolicy implements KindPolicy {
  readonly #machinery: ActorMachinery;
  readonly #options: ElectedOptions;
  readonly #local: OptimisticState;
  readonly #requestStream: string;
  readonly #leaseName: string;
  readonly #keeper: LeaseKeeper;
  #campaign: CampaignHandle | undefined;
  /** The term this actor leads in; `undefined` while it follows. */
  #term: number | undefined;
  /** The leader said it left (or none is known): the next request also asks for the lease. */
  #leaderGone = false;
  /** This actor's requests, by event id, until the leader's event is applied here or refused. */
  readonly #awaiting = new Map<string, Awaiting>();
  #requestTimer: NodeJS.Timeout | undefined;
  /** The highest request version served: from `meta.request` of applied events and from refusals. */
  #servedThrough = 0;
  /** Serving runs once at a time; a request heard meanwhile asks for one more round. */
  #serving = false;
  #serveAgain = false;
  #watch: Promise<LiveWatch> | undefined;
  #requestsWatch: Promise<LiveWatch> | undefined;
  #lastTick: LastTick | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #tickingStartedAt = 0;
  #disposing = false;

  constructor(machinery: ActorMachinery, options: ElectedOptions) {
    this.#machinery = machinery;
    this.#options = options;
    this.#local = new OptimisticState(machinery);
    this.#requestStream = requestStreamOf(machinery.id);
    this.#leaseName = leaseNameOf(machinery.id);
    const { store, logger } = machinery.container;
    this.#keeper = LeaseKeeper.of(store, { ttlMs: options.leaseTtlMs, logger });
  }

  /** Whether this actor leads its id now. */
  get leading(): boolean {
    return this.#term !== undefined;
  }

  /** The term it leads in, if it leads. */
  get term(): number | undefined {
    return this.#term;
  }

  fired(fired: FiredEvent): void {
    if (this.#options.ticking !== undefined && fired.event.name === 'tick') {
      throw new UsageError(`${this.#machinery.className} fires its ticks itself; "tick" cannot be fired`);
    }
    // Nothing is applied here: the leader decides, in `appendFired`, whoever it is by then.
  }

  async appendFired(batch: FiredEvent[]): Promise<void> {
    const term = this.#term;
    if (term === undefined) return this.#sendRequests(batch);
    const applied = this.#applyAsLeader(batch.map((fired) => withTerm(fired, term)));
    await appendPending(this.#machinery, this.#local, applied, () => this.#readStored(), {
      fencingTerm: term,
      onFenced: (pending, error) => this.#fenced(term, pending, error),
    });
  }

  async catchUp(): Promise<void> {
    await this.#readStored();
  }

  async afterLoad(): Promise<void> {
    if (this.#watch !== undefined) return;
    const machinery = this.#machinery;
    const { store, logger } = machinery.container;
    const feed = LiveFeed.of(store, logger);
    const requestsFrom = (await store.streamVersion(this.#requestStream)) + 1;
    this.#watch = feed.watch(machinery.id, this.#local.confirmedVersion + 1, (events) => {
      if (machinery.disposed() && this.#awaiting.size === 0) return;
      this.#inLane(() => this.#receive(events), 'apply');
    });
    this.#requestsWatch = feed.watch(this.#requestStream, requestsFrom, (records) =>
      this.#hearRecords(records),
    );
    try {
      await Promise.all([this.#watch, this.#requestsWatch]);
    } catch (error) {
      await this.dispose();
      throw error;
    }
    this.#startCampaign();
  }

  async dispose(): Promise<void> {
    this.#disposing = true;
    clearTimeout(this.#requestTimer);
    this.#stopTicking();
    const wasLeading = this.#term;
    const campaign = this.#campaign;
    this.#campaign = undefined;
    await campaign?.close();
    if (wasLeading !== undefined) await this.#announce('handover', wasLeading, false);
    for (const watch of [this.#watch, this.#requestsWatch]) (await watch?.catch(() => undefined))?.close();
    this.#watch = undefined;
    this.#requestsWatch = undefined;
  }

  // ---- the leader ---------------------------------------------------------------------------

  #startCampaign(takeOverTerm?: number): void {
    const keeper = this.#keeper;
    if (this.#campaign !== undefined || this.#disposing) return;
    // Another instance of this id in this process campaigns already: this one follows it.
    if (keeper.campaigning(this.#leaseName)) return;
    this.#campaign = keeper.campaign(
      this.#leaseName,
      {
        onElected: (term) => this.#elected(term),
        onDeposed: (reason) => this.#deposed(reason),
        onRefused: () => {
          this.#leaderGone = false;
          this.#followIfIdle();
        },
      },
      takeOverTerm === undefined ? {} : { takeOverTerm },
    );
  }

  /** A OneActor with nothing to wait for stops asking: its leader acts, or nobody needs one. */
  #followIfIdle(): void {
    if (this.#options.ticking !== undefined || this.#term !== undefined || this.#awaiting.size > 0) return;
    const campaign = this.#campaign;
    this.#campaign = undefined;
    void campaign?.close();
  }

  #elected(term: number): void {
    this.#term = term;
    this.#leaderGone = false;
    this.#inLane(async () => {
      if (this.#term !== term) return;
      await this.#readStored();
      // Fences out any refusal an earlier leader might still write.
      if (!(await this.#announce('elected', term, true))) return;
      await this.#serveRequests(term);
      const { ticking } = this.#options;
      if (ticking !== undefined && this.#term === term && ticksIn(this.#machinery.container)) {
        this.#startTicking(term);
      }
    }, 'lead');
  }

  #deposed(reason: DeposedReason): void {
    this.#term = undefined;
    this.#stopTicking();
    if (reason !== 'closed') this.#followIfIdle();
  }

  /** A successor has written: this actor no longer leads; its events go to the successor as requests. */
  async #fenced(term: number, pending: readonly FiredEvent[], error: FencedError): Promise<void> {
    this.#stepDown(term, error);
    // A tick is the leader's own business: its successor fires it. Nobody awaits it.
    for (const tick of pending) if (tick.event.name === 'tick') tick.reject(error);
    const requests = pending.filter((fired) => fired.event.name !== 'tick');
    if (requests.length > 0) await this.#sendRequests(requests);
  }

  #stepDown(term: number, error?: FencedError): void {
    const leading = this.#term === term;
    // A refused append is worth a word even when this leader had already stopped by its own clock.
    if (leading || error !== undefined) {
      this.#machinery.container.logger.warn('a successor leads: this leader steps down', {
        actor: this.#machinery.className,
        stream: this.#machinery.id,
        term,
        ...(error === undefined ? {} : { error }),
      });
    }
    if (!leading) return;
    this.#term = undefined;
    this.#stopTicking();
    this.#campaign?.stepDown();
  }

  /** Applies fired events on the leader's state; one its handler refuses is rejected, never appended. */
  #applyAsLeader(batch: readonly FiredEvent[]): FiredEvent[] {
    const applied: FiredEvent[] = [];
    for (const fired of batch) {
      try {
        this.#local.applyFired(fired, false);
        applied.push(fired);
      } catch (error) {
        fired.reject(error);
        this.#machinery.reportFailure(error, 'apply', fired.event.name);
      }
    }
    return applied;
  }

  /** Serves every request after the highest served, in version order, while leading in `term`. */
  async #serveRequests(term: number): Promise<void> {
    const { store } = this.#machinery.container;
    let readThrough = this.#servedThrough;
    while (this.#term === term) {
      const records = await store.readStream(this.#requestStream, {
        fromVersion: readThrough + 1,
        limit: REQUEST_PAGE_SIZE,
      });
      const requests: Request[] = [];
      for (const stored of records) {
        const record = readRequestRecord(stored);
        if (record?.kind === 'refused') this.#served(record.refusal.request);
        else if (record?.kind === 'request' && record.request.version > this.#servedThrough) {
          requests.push(record.request);
        }
      }
      readThrough = records.at(-1)?.version ?? readThrough;
      if (requests.length > 0 && !(await this.#serve(term, requests))) {
        // Some were stored meanwhile by another leader: read again from what is now served.
        readThrough = this.#servedThrough;
        continue;
      }
      if (records.length < REQUEST_PAGE_SIZE) return;
    }
  }

  /** Serves `requests`; false when the store says one was already stored (the batch is redone). */
  async #serve(term: number, requests: readonly Request[]): Promise<boolean> {
    const machinery = this.#machinery;
    const accepted: Array<[Request, FiredEvent]> = [];
    const refused: Array<[Request, unknown]> = [];
    for (const request of requests) {
      const fired = firedForRequest(machinery, request, term);
      try {
        // As a re-runnable command's: a refusal goes back to the requester, not to this node's hook.
        this.#local.applyFired(fired, true);
        accepted.push([request, fired]);
      } catch (error) {
        refused.push([request, error]);
      }
    }
    let fenced = false;
    try {
      await appendPending(
        machinery,
        this.#local,
        accepted.map(([, fired]) => fired),
        () => this.#readStored(),
        {
          fencingTerm: term,
          // The successor serves these requests from the request stream.
          onFenced: async (_, error) => {
            fenced = true;
            this.#stepDown(term, error);
          },
        },
      );
    } catch (error) {
      if (!(error instanceof DuplicateEventError)) throw error;
      await this.#readStored();
      const stuck = requests.find((request) => request.eventId === error.eventId);
      // An id already stored elsewhere (not a request served by another leader): refuse it.
      if (stuck !== undefined && stuck.version > this.#servedThrough) {
        await this.#refuse(term, [[stuck, error]]);
      }
      return false;
    }
    if (fenced) return true;
    // Appended, or refused by their handler on top of another writer's events met meanwhile.
    const outcomes = await Promise.allSettled(accepted.map(([, fired]) => fired.promise));
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected')
        refused.push([(accepted[index] as [Request, FiredEvent])[0], outcome.reason]);
    });
    refused.sort(([a], [b]) => a.version - b.version);
    if (this.#term !== term) return true;
    if (refused.length > 0) await this.#refuse(term, refused);
    this.#served(requests.at(-1)?.version ?? 0);
    return true;
  }

  async #refuse(term: number, refused: ReadonlyArray<[Request, unknown]>): Promise<void> {
    const machinery = this.#machinery;
    const records = refused.map(([request, error]) =>
      encodedEvent({
        id: machinery.container.newId(),
        name: 'refused',
        dataJson: JSON.stringify(refusalOf(request, machinery.version() + 1, error)),
        metaJson: JSON.stringify({ actor: machinery.className }),
        at: machinery.container.clock.now().toISOString(),
      }),
    );
    try {
      await appendEventsRetryingUnavailable(machinery.container.store, this.#requestStream, records, {
        fencingTerm: term,
      });
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      return;
    }
    for (const [request] of refused) this.#served(request.version);
  }

  /** Writes an `elected` or `handover` record; false if a later leader fenced it out. */
  async #announce(kind: 'elected' | 'handover', term: number, fenced: boolean): Promise<boolean> {
    const machinery = this.#machinery;
    const record = encodedEvent({
      id: machinery.container.newId(),
      name: kind,
      dataJson: JSON.stringify({ term }),
      metaJson: JSON.stringify({ actor: machinery.className }),
      at: machinery.container.clock.now().toISOString(),
    });
    try {
      await appendEventsRetryingUnavailable(
        machinery.container.store,
        this.#requestStream,
        [record],
        fenced ? { fencingTerm: term } : {},
      );
      return true;
    } catch (error) {
      if (error instanceof FencedError) {
        this.#stepDown(term, error);
        return false;
      }
      machinery.container.logger.warn('could not write a leadership record', {
        stream: this.#requestStream,
        kind,
        error,
      });
      return !fenced;
    }
  }

  #served(version: number): void {
    if (version > this.#servedThrough) this.#servedThrough = version;
  }

  // ---- the follower -------------------------------------------------------------------------

  async #sendRequests(batch: readonly FiredEvent[]): Promise<void> {
    const machinery = this.#machinery;
    const { container } = machinery;
    const records = batch.map((fired) => {
      const at = atOf(fired.event.at);
      return encodedEvent({
        id: container.newId(),
        name: 'request',
        dataJson: encodedDataOf(fired.event) ?? JSON.stringify(fired.event.data ?? null),
        metaJson: JSON.stringify({
          actor: machinery.className,
          eventId: fired.event.id,
          eventName: fired.event.name,
          eventAt: at,
        }),
        at,
      });
    });
    const sentAt = performance.now();
    const waiting = batch.map((fired): Awaiting => ({ fired, requestVersion: 0, sentAt }));
    for (const each of waiting) {
      this.#awaiting.set(each.fired.event.id, each);
      machinery.track(each.fired.promise);
    }
    try {
      const { events } = await appendEventsRetryingUnavailable(
        container.store,
        this.#requestStream,
        records,
        {},
      );
      waiting.forEach((each, index) => (each.requestVersion = events[index]?.version ?? 0));
    } catch (error) {
      for (const fired of batch) this.#awaiting.delete(fired.event.id);
      throw error;
    }
    if (this.#leaderGone) this.#startCampaign();
    this.#armRequestTimer();
  }

  #armRequestTimer(): void {
    if (this.#requestTimer !== undefined || this.#awaiting.size === 0) return;
    const oldest = this.#awaiting.values().next().value as Awaiting;
    const wait = Math.max(0, oldest.sentAt + this.#options.requestTimeoutMs - performance.now());
    this.#requestTimer = setTimeout(() => {
      this.#requestTimer = undefined;
      void this.#requestTimedOut();
    }, Math.ceil(wait)).unref();
  }

  /** The oldest request waited too long: take the lease from the leader that does not act. */
  async #requestTimedOut(): Promise<void> {
    if (this.#awaiting.size === 0) return;
    try {
      if (this.#term === undefined) {
        // A notification may have been lost: look in the store before blaming the leader.
        await this.#machinery.exclusive(() => this.#readStored());
        await this.#readRefusals();
      }
      const oldest = this.#awaiting.values().next().value as Awaiting | undefined;
      if (oldest === undefined) return;
      if (performance.now() - oldest.sentAt < this.#options.requestTimeoutMs || this.#term !== undefined) {
        this.#armRequestTimer();
        return;
      }
      const lease = await this.#machinery.container.store.readLease(this.#leaseName);
      const term = lease.held?.term ?? lease.term;
      if (this.#campaign === undefined) this.#startCampaign(term);
      else this.#campaign.takeOver(term);
    } catch (error) {
      if (isClosedStore(error)) {
        // Nobody can answer these requests here any more: their Fires fail with the store's error.
        this.#rejectAwaiting(error);
        return;
      }
      this.#machinery.container.logger.warn('could not check on requests the leader has not served', {
        lease: this.#leaseName,
        error,
      });
    }
    // Ask again after another period if it is still not served.
    for (const each of this.#awaiting.values()) each.sentAt = performance.now();
    this.#armRequestTimer();
  }

  /** Reads this actor's requests' records again, for a refusal the live feed did not bring. */
  async #readRefusals(): Promise<void> {
    let from = Number.POSITIVE_INFINITY;
    for (const { requestVersion } of this.#awaiting.values()) {
      if (requestVersion > 0) from = Math.min(from, requestVersion);
    }
    if (!Number.isFinite(from)) return;
    const { store } = this.#machinery.container;
    for (;;) {
      const records = await store.readStream(this.#requestStream, {
        fromVersion: from,
        limit: REQUEST_PAGE_SIZE,
      });
      this.#hearRecords(records);
      if (records.length < REQUEST_PAGE_SIZE || this.#awaiting.size === 0) return;
      from = (records.at(-1) as StoredEvent).version + 1;
    }
  }

  #rejectAwaiting(error: unknown): void {
    const awaiting = [...this.#awaiting.values()];
    this.#awaiting.clear();
    for (const { fired } of awaiting) fired.reject(error);
  }

  #hearRecords(records: readonly StoredEvent[]): void {
    let requested = false;
    for (const stored of records) {
      const record = readRequestRecord(stored);
      if (record === undefined) continue;
      if (record.kind === 'request') requested = true;
      else if (record.kind === 'refused') {
        this.#served(record.refusal.request);
        const awaiting = this.#awaiting.get(record.refusal.eventId);
        if (awaiting !== undefined) {
          this.#awaiting.delete(record.refusal.eventId);
          awaiting.fired.reject(errorOf(record.refusal, this.#machinery.id));
          this.#followIfIdle();
        }
      } else if (record.kind === 'elected') {
        this.#leaderGone = false;
      } else if (this.#term === undefined) {
        // A leader handed over: whoever waits on a request asks for the lease now.
        this.#leaderGone = true;
        if (this.#awaiting.size > 0 || this.#options.ticking !== undefined) {
          if (this.#campaign === undefined) this.#startCampaign();
          else this.#campaign.retryNow();
        }
      }
    }
    const term = this.#term;
    if (requested && term !== undefined) this.#scheduleServing(term);
  }

  #scheduleServing(term: number): void {
    if (this.#serving) {
      this.#serveAgain = true;
      return;
    }
    this.#serving = true;
    this.#inLane(async () => {
      try {
        do {
          this.#serveAgain = false;
          await this.#serveRequests(term);
        } while (this.#serveAgain && this.#term === term);
      } finally {
        this.#serving = false;
      }
    }, 'serve');
  }

  // ---- events as stored ---------------------------------------------------------------------

  /** Reads and accepts every stored event after the confirmed version, page by page. */
  async #readStored(): Promise<void> {
    const { store } = this.#machinery.container;
    for (;;) {
      const events = await store.readStream(this.#machinery.id, {
        fromVersion: this.#local.confirmedVersion + 1,
        limit: REQUEST_PAGE_SIZE,
      });
      this.#accept(events);
      if (events.length < REQUEST_PAGE_SIZE) return;
    }
  }

  async #receive(events: readonly StoredEvent[]): Promise<void> {
    const first = events.find((event) => event.version > this.#local.confirmedVersion);
    if (first !== undefined && first.version > this.#local.confirmedVersion + 1) await this.#readStored();
    // Also what this node appended as leader: a request of its own among them resolves here.
    this.#accept(events);
  }

  /** Applies stored events; resolves the requests they serve; notes what they say about serving and ticks. */
  #accept(events: readonly StoredEvent[]): void {
    let failure: unknown;
    try {
      this.#local.acceptStored(events);
    } catch (error) {
      failure = error;
    }
    const applied = this.#machinery.version();
    for (const event of events) {
      const request = (event.meta as { request?: unknown }).request;
      if (typeof request === 'number') this.#served(request);
      if (event.name === 'tick' && event.version <= applied)
        this.#lastTick = lastTickOf(event.data) ?? this.#lastTick;
      const awaiting = this.#awaiting.get(event.id);
      if (awaiting === undefined) continue;
      this.#awaiting.delete(event.id);
      if (event.version <= applied) awaiting.fired.resolve(event);
      else awaiting.fired.reject(failure);
    }
    if (this.#awaiting.size === 0) {
      clearTimeout(this.#requestTimer);
      this.#requestTimer = undefined;
      this.#followIfIdle();
    }
    if (failure !== undefined) throw failure;
  }

  // ---- ticks --------------------------------------------------------------------------------

  #startTicking(term: number): void {
    this.#tickingStartedAt = this.#storeNow();
    this.#scheduleTick(term);
  }

  #stopTicking(): void {
    clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
  }

  #storeNow(): number {
    const clock = this.#keeper.storeClock;
    // Known once the store has answered a lease call, which precedes every election.
    return clock.known ? clock.now() : Date.now();
  }

  #plan() {
    const ticking = this.#options.ticking as NonNullable<ElectedOptions['ticking']>;
    return nextTick(
      this.#lastTick,
      this.#tickingStartedAt,
      ticking.resolutionMs,
      this.#storeNow(),
      ticking.missedTicks,
    );
  }

  #scheduleTick(term: number): void {
    if (this.#term !== term || this.#disposing) return;
    clearTimeout(this.#tickTimer);
    const wait = Math.min(LONGEST_TIMER_MS, Math.max(0, this.#plan().plannedAt - this.#storeNow()));
    // Whole milliseconds, rounded up: a timer never fires before its planned time.
    this.#tickTimer = setTimeout(() => {
      this.#tickTimer = undefined;
      this.#inLane(() => this.#tick(term), 'tick');
    }, Math.ceil(wait)).unref();
  }

  async #tick(term: number): Promise<void> {
    if (this.#term !== term || this.#disposing) return;
    const planned = this.#plan();
    const now = this.#storeNow();
    if (now < planned.plannedAt) {
      this.#scheduleTick(term);
      return;
    }
    const machinery = this.#machinery;
    const data = tickData(planned);
    const fired = firedOf(
      encodedEvent({
        id: derivedEventId('tick', machinery.id, String(planned.n)),
        name: 'tick',
        dataJson: JSON.stringify(data),
        metaJson: JSON.stringify({ actor: machinery.className, term }),
        at: new Date(now).toISOString(),
      }),
    );
    const applied = this.#applyAsLeader([fired]);
    try {
      if (applied.length > 0) {
        await appendPending(machinery, this.#local, applied, () => this.#readStored(), {
          fencingTerm: term,
          onFenced: (pending, error) => this.#fenced(term, pending, error),
        });
      } else {
        // The handler refused the tick (reported): try again one resolution later.
        await sleep(this.#options.ticking?.resolutionMs ?? 0);
      }
    } catch (error) {
      // Another leader stored tick n first (the same id): nothing to report.
      if (!(error instanceof DuplicateEventError)) machinery.reportFailure(error, 'append', 'tick');
      // Read what is stored and plan again.
      await this.#readStored().catch(() => undefined);
    }
    this.#scheduleTick(term);
  }

  /** Runs `work` in the actor's lane; a failure is reported, never left unhandled. */
  #inLane(work: () => Promise<void>, operation: string): void {
    void this.#machinery
      .exclusive(work)
      .catch((error: unknown) => this.#machinery.reportFailure(error, operation));
  }
}

/** The fired event a leader serves for a request: the requester's id, name, data and time. */
function firedForRequest(machinery: ActorMachinery, request: Request, term: number): FiredEvent {
  return firedOf(
    encodedEvent({
      id: request.eventId,
      name: request.eventName,
      dataJson: JSON.stringify(request.data ?? null),
      metaJson: JSON.stringify({
        actor: request.actor || machinery.className,
        request: request.version,
        term,
      }),
      at: request.eventAt,
    }),
  );
}

/** An event the leader fires itself (a tick, a request it serves), with a promise nobody here awaits. */
function firedOf(event: FiredEvent['event']): FiredEvent {
  let settle: Pick<FiredEvent, 'resolve' | 'reject'> | undefined;
  const promise = new Promise<StoredEvent>((resolve, reject) => (settle = { resolve, reject }));
  // The outcome reaches whoever cares through the store (a requester) or the next plan (a tick).
  promise.catch(() => undefined);
  return { event, promise, ...(settle as Pick<FiredEvent, 'resolve' | 'reject'>) };
}

/**
 * The same fired event, its metadata naming the leader's term: a reader of the stream can tell
 * which tenure wrote each event (terms never go down along a stream's versions).
 */
function withTerm(fired: FiredEvent, term: number): FiredEvent {
  const meta = JSON.parse(encodedMetaOf(fired.event) ?? JSON.stringify(fired.event.meta ?? {})) as object;
  const event = encodedEvent({
    id: fired.event.id,
    name: fired.event.name,
    dataJson: encodedDataOf(fired.event) ?? JSON.stringify(fired.event.data ?? null),
    metaJson: JSON.stringify({ ...meta, term }),
    at: atOf(fired.event.at),
  });
  return { ...fired, event };
}

function atOf(at: string | Date | undefined): string {
  return typeof at === 'string' ? at : (at ?? new Date()).toISOString();
}
