/**
 * The policy of the elected kinds (`OneActor`, `TickActor`): one leader per actor id decides and
 * appends; every other holder of the id forwards its `Fire`s to the leader through the store and
 * applies what the leader stored, from the live feed.
 *
 * - **Leader.** Elected through the process's lease keeper (`leadership/`); every append it makes
 *   carries its term as the fencing term (and in `meta.term`). When elected it takes office: it
 *   fences the actor stream with its term (an append of no events: no deposed leader's append
 *   lands after this), reads the stream, writes an `elected` record (fenced too: no refusal of an
 *   earlier leader lands after it), and only then serves the requests of the request stream
 *   (`request-serving.ts`); a TickActor's leader also ticks (`ticker.ts`). If any of that fails,
 *   it tries again after a pause while it leads.
 * - **Follower.** Its `Fire` is not applied locally: it becomes a request record. The `Fire`
 *   resolves when the leader's event with that id is applied here, and rejects with the leader's
 *   typed error if the leader refused it. A request left unserved for `requestTimeoutMs` makes the
 *   requester look in the store (a notification may have been lost), then take the lease over
 *   from the leader that does not act.
 * - **Exactly once.** A request's event id is chosen by the requester; a request served twice (a
 *   deposed leader and its successor) is stored once: the expected version and the store's
 *   idempotent-append rule decide, and a stale leader is fenced out.
 * - **Cost.** A `OneActor` campaigns only when it needs a leader (at `Load`, and while a request of
 *   its own waits): 10 000 resident followers ask the store nothing while their leader acts. A
 *   `TickActor` campaigns for as long as it is loaded, so that ticking goes on when its leader dies.
 * - **Graceful stop.** `Dispose` of a leader releases the lease at once and writes a `handover`
 *   record: followers waiting on a request ask for the lease immediately.
 */
import { UsageError, type FencedError } from '../errors.js';
import { encodedDataOf, encodedEvent } from '../events/encoded-event.js';
import type { JsonValue, StoredEvent } from '../events/envelope.js';
import { isClosedStore, type CampaignHandle, type DeposedReason } from '../leadership/campaign.js';
import { LeaseKeeper } from '../leadership/lease-keeper.js';
import { errorOf, leaseNameOf, readRequestRecord, requestStreamOf } from '../leadership/requests.js';
import { lastTickOf, type LastTick, type MissedTicks } from '../leadership/tick-schedule.js';
import { LiveFeed, type LiveWatch } from '../live/live-feed.js';
import { ActorSnapshots } from './actor-snapshots.js';
import { appendEventsRetryingUnavailable } from './append-retry.js';
import { appendPending, backoff } from './append-pending.js';
import { claimElectedId } from './elected-ids.js';
import type { ActorMachinery, FiredEvent, KindPolicy } from './kind-policy.js';
import { atOf, withTerm } from './leader-events.js';
import { OptimisticState } from './optimistic-state.js';
import { RequestServer } from './request-serving.js';
import { ticksIn } from './story-clock.js';
import { Ticker } from './ticker.js';

export interface ElectedOptions {
  readonly leaseTtlMs: number;
  readonly requestTimeoutMs: number;
  /** Set for a TickActor: it campaigns while loaded, and its leader ticks. */
  readonly ticking?: { readonly resolutionMs: number; readonly missedTicks: MissedTicks };
}

/** How many records of the request stream one read takes. */
const PAGE_SIZE = 1000;
/** The longest pause before a leader tries a failed step again. */
const LONGEST_RETRY_MS = 2000;

interface Awaiting {
  readonly fired: FiredEvent;
  /** The newest leader's term this node knew of when it last found the request unserved. */
  leaderTerm: number;
  /** The version of its request record (0 until stored). */
  requestVersion: number;
  /** When it was sent, or last found unserved (`performance.now()`). */
  sentAt: number;
}

export class ElectedPolicy implements KindPolicy {
  readonly #machinery: ActorMachinery;
  readonly #options: ElectedOptions;
  readonly #local: OptimisticState;
  readonly #snapshots: ActorSnapshots;
  readonly #requestStream: string;
  readonly #leaseName: string;
  readonly #keeper: LeaseKeeper;
  readonly #server: RequestServer;
  readonly #ticker: Ticker | undefined;
  #campaign: CampaignHandle | undefined;
  /** The term this actor leads in; `undefined` while it follows. */
  #term: number | undefined;
  /** The leader said it left: the next request also asks for the lease. */
  #leaderGone = false;
  /** Reading the stream for `Load`: what it applies may be snapshotted, as a leader's appends are. */
  #loading = false;
  /** How many listeners the actor has: with any, it campaigns at all times, to react as leader. */
  #listeners = 0;
  /** The newest leader's term this node has heard of (its `elected` record, a refused campaign). */
  #leaderTerm = 0;
  /** This actor's requests, by event id, until the leader's event is applied here or refused. */
  readonly #awaiting = new Map<string, Awaiting>();
  #requestTimer: NodeJS.Timeout | undefined;
  /** The highest request served by an event applied here (`meta.request`). */
  #servedThrough = 0;
  #lastTick: LastTick | undefined;
  /** Serving runs once at a time; a request heard meanwhile asks for one more round. */
  #serving = false;
  #serveAgain = false;
  /** A round asked for meanwhile that must read the store (a timeout, a retry), not only what was heard. */
  #serveAgainFromStore = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failedAttempts = 0;
  /** The term in which this actor took office (fenced its streams, caught up): it may serve then. */
  #inOffice: number | undefined;
  #watch: Promise<LiveWatch> | undefined;
  #requestsWatch: Promise<LiveWatch> | undefined;
  #releaseId: (() => void) | undefined;
  #disposing = false;

  constructor(machinery: ActorMachinery, options: ElectedOptions) {
    this.#machinery = machinery;
    this.#options = options;
    // Snapshots are taken once stored events are noted (`#noteStored`): they keep the marks too.
    this.#local = new OptimisticState(machinery);
    this.#snapshots = new ActorSnapshots(machinery, {
      save: () => {
        const tick = this.#lastTick;
        const lastTick = tick === undefined ? null : { n: tick.n, plannedAt: tick.plannedAt };
        return { servedThrough: this.#servedThrough, lastTick };
      },
      restorer: (marks) => this.#marksRestorer(marks),
    });
    this.#requestStream = requestStreamOf(machinery.id);
    this.#leaseName = leaseNameOf(machinery.id);
    const { store, logger } = machinery.container;
    this.#keeper = LeaseKeeper.of(store, { ttlMs: options.leaseTtlMs, logger });
    const leads = (term: number) => this.#term === term && !this.#disposing;
    this.#server = new RequestServer({
      machinery,
      local: this.#local,
      requestStream: this.#requestStream,
      ticking: options.ticking !== undefined,
      leads,
      servedThrough: () => this.#servedThrough,
      readStored: () => this.#readStored(),
      noteStored: (events) => this.#noteStored(events),
      stepDown: (term, error) => this.#stepDown(term, error),
    });
    const ticking = options.ticking;
    this.#ticker =
      ticking === undefined
        ? undefined
        : new Ticker({
            machinery,
            local: this.#local,
            storeClock: this.#keeper.storeClock,
            resolutionMs: ticking.resolutionMs,
            missedTicks: ticking.missedTicks,
            leads,
            lastTick: () => this.#lastTick,
            readStored: () => this.#readStored(),
            noteStored: (events) => this.#noteStored(events),
            applyAsLeader: (fired) => this.#applyAsLeader([fired]).length > 0,
            fenced: (term, pending, error) => this.#fenced(term, pending, error),
            inLane: (work, operation) => this.#inLane(work, operation),
          });
  }

  /** Whether this actor leads its id now. */
  get leading(): boolean {
    return this.#term !== undefined;
  }

  /** The leader reacts for every node, once in office (it has read the stream and served what waited). */
  mayReact(): boolean {
    return this.#term !== undefined && this.#inOffice === this.#term;
  }

  /** An elected actor with listeners needs a leader at all times: every node keeps campaigning. */
  listenersChanged(count: number): void {
    this.#listeners = count;
    if (count > 0 && this.#watch !== undefined) this.#startCampaign();
    else if (count === 0) this.#followIfIdle();
  }

  fired(fired: FiredEvent): void {
    if (this.#ticker !== undefined && fired.event.name === 'tick') {
      throw new UsageError(`${this.#machinery.className} fires its ticks itself; "tick" cannot be fired`);
    }
    // Nothing is applied here: the leader decides, in `appendFired`, whoever it is by then.
  }

  async appendFired(batch: FiredEvent[]): Promise<void> {
    const term = this.#term;
    if (term === undefined) return this.#sendRequests(batch);
    const applied = this.#applyAsLeader(batch.map((fired) => withTerm(fired, term)));
    const stored = await appendPending(this.#machinery, this.#local, applied, () => this.#readStored(), {
      fencingTerm: term,
      onFenced: (pending, error) => this.#fenced(term, pending, error),
    });
    this.#noteStored(stored);
  }

  async catchUp(): Promise<void> {
    await this.#snapshots.restore(
      () => this.#local.pendingCount === 0 && this.#awaiting.size === 0 && this.#term === undefined,
    );
    this.#loading = true;
    try {
      await this.#readStored();
    } finally {
      this.#loading = false;
    }
  }

  async afterLoad(): Promise<void> {
    if (this.#watch !== undefined) return;
    const machinery = this.#machinery;
    this.#releaseId ??= claimElectedId(machinery.container.store, machinery.id, this.#ticker !== undefined);
    const { store, logger } = machinery.container;
    const feed = LiveFeed.of(store, logger);
    try {
      const requestsFrom = (await store.streamVersion(this.#requestStream)) + 1;
      this.#watch = feed.watch(machinery.id, this.#local.confirmedVersion + 1, (events) => {
        if (machinery.disposed() && this.#awaiting.size === 0) return;
        this.#inLane(() => this.#receive(events), 'apply');
      });
      this.#requestsWatch = feed.watch(this.#requestStream, requestsFrom, (records) =>
        this.#hearRecords(records, true),
      );
      await Promise.all([this.#watch, this.#requestsWatch]);
    } catch (error) {
      // A later Load may try again: only what this one opened is closed.
      await this.#closeWatches();
      throw error;
    }
    this.#startCampaign();
  }

  async dispose(): Promise<void> {
    this.#disposing = true;
    clearTimeout(this.#requestTimer);
    clearTimeout(this.#retryTimer);
    this.#ticker?.stop();
    const wasLeading = this.#term;
    const campaign = this.#campaign;
    this.#campaign = undefined;
    await campaign?.close();
    if (wasLeading !== undefined) await this.#announceHandover(wasLeading);
    await this.#closeWatches();
    this.#releaseId?.();
    this.#releaseId = undefined;
  }

  async #closeWatches(): Promise<void> {
    for (const watch of [this.#watch, this.#requestsWatch]) (await watch?.catch(() => undefined))?.close();
    this.#watch = undefined;
    this.#requestsWatch = undefined;
  }

  // ---- leadership ---------------------------------------------------------------------------

  #startCampaign(takeOverTerm?: number): void {
    if (this.#campaign !== undefined || this.#disposing) return;
    // Another instance of this id in this process campaigns already: this one follows it.
    if (this.#keeper.campaigning(this.#leaseName)) return;
    this.#campaign = this.#keeper.campaign(
      this.#leaseName,
      {
        onElected: (term) => this.#elected(term),
        onDeposed: (reason) => this.#deposed(reason),
        onRefused: (held) => {
          this.#leaderGone = false;
          this.#leaderTerm = Math.max(this.#leaderTerm, held.term);
          this.#followIfIdle();
        },
      },
      takeOverTerm === undefined ? {} : { takeOverTerm },
    );
  }

  /** A OneActor with nothing to wait for stops asking: its leader acts, or nobody needs one. */
  #followIfIdle(): void {
    if (this.#ticker !== undefined || this.#term !== undefined || this.#awaiting.size > 0) return;
    if (this.#listeners > 0) return;
    const campaign = this.#campaign;
    this.#campaign = undefined;
    void campaign?.close();
  }

  #elected(term: number): void {
    this.#term = term;
    this.#leaderGone = false;
    this.#failedAttempts = 0;
    this.#takeOffice(term);
  }

  /**
   * Fences out earlier leaders (the actor stream, then the request stream with the `elected`
   * record), reads the stream, serves, ticks; tried again after a failure while leading.
   */
  #takeOffice(term: number): void {
    this.#inLane(async () => {
      if (this.#term !== term || this.#disposing || this.#inOffice === term) return;
      try {
        // Before reading anything to decide on: no deposed leader's append can land after this.
        if (!(await this.#fence(term))) return;
        await this.#readStored();
        if (!(await this.#announceElected(term))) return;
        this.#inOffice = term;
        if (!(await this.#server.serve(term))) throw new Error('other writers kept the requests moving');
      } catch (error) {
        this.#retryLater('could not take office', error);
        return;
      }
      this.#failedAttempts = 0;
      this.#startTicking(term);
      this.#machinery.reactingChanged();
    }, 'lead');
  }

  /** A TickActor in office ticks (once per term; never under a `Given` story). */
  #startTicking(term: number): void {
    if (this.#term === term && this.#inOffice === term && ticksIn(this.#machinery.container)) {
      this.#ticker?.start(term);
    }
  }

  /** Raises the actor stream's fencing term to `term` (an append of no events); false if a later leader holds it. */
  async #fence(term: number): Promise<boolean> {
    try {
      await appendEventsRetryingUnavailable(this.#machinery.container.store, this.#machinery.id, [], {
        fencingTerm: term,
      });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'FENCED') throw error;
      this.#stepDown(term, error as FencedError);
      return false;
    }
  }

  #deposed(reason: DeposedReason): void {
    this.#term = undefined;
    this.#inOffice = undefined;
    this.#machinery.reactingChanged();
    this.#ticker?.stop();
    clearTimeout(this.#retryTimer);
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
    this.#inOffice = undefined;
    this.#machinery.reactingChanged();
    clearTimeout(this.#retryTimer);
    this.#ticker?.stop();
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

  /** `fromHeard`: prompted by records the live feed delivered (see `RequestServer.serve`). */
  #scheduleServing(fromHeard = false): void {
    if (this.#serving) {
      this.#serveAgain = true;
      this.#serveAgainFromStore ||= !fromHeard;
      return;
    }
    this.#serving = true;
    this.#inLane(async () => {
      try {
        let heard = fromHeard;
        do {
          this.#serveAgain = false;
          const term = this.#term;
          // Not before office is taken: taking office serves what waits once it is done.
          if (term === undefined || this.#inOffice !== term || this.#disposing) return;
          if (!(await this.#server.serve(term, heard))) {
            throw new Error('other writers kept the requests moving');
          }
          heard = !this.#serveAgainFromStore;
          this.#serveAgainFromStore = false;
          this.#failedAttempts = 0;
          // Taking office may have failed after it was done, in its first serving round.
          this.#startTicking(term);
        } while (this.#serveAgain);
      } catch (error) {
        this.#retryLater('could not serve requests', error);
      } finally {
        this.#serving = false;
      }
    }, 'serve');
  }

  /**
   * A leader's step failed (the store, most likely): after a growing pause, while it leads, it
   * takes office if it has not yet, else serves. One timer for both, so no retry is lost to another.
   */
  #retryLater(what: string, error: unknown): void {
    if (this.#term === undefined || this.#disposing) return;
    this.#failedAttempts++;
    this.#machinery.container.logger.warn(`${what}; trying again shortly`, {
      actor: this.#machinery.className,
      stream: this.#machinery.id,
      error,
    });
    clearTimeout(this.#retryTimer);
    const pause = Math.min(LONGEST_RETRY_MS, 20 * 2 ** this.#failedAttempts) + backoff(this.#failedAttempts);
    this.#retryTimer = setTimeout(() => {
      const term = this.#term;
      if (term === undefined || this.#disposing) return;
      if (this.#inOffice === term) this.#scheduleServing();
      else this.#takeOffice(term);
    }, pause).unref();
  }

  /** Writes the `elected` record with this term; false if a later leader fenced it out. */
  async #announceElected(term: number): Promise<boolean> {
    try {
      await this.#appendRecord('elected', term, { fencingTerm: term });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'FENCED') throw error;
      this.#stepDown(term, error as FencedError);
      return false;
    }
  }

  /** Tells followers the lease is free; fenced, so it never lands after a successor's `elected`. */
  async #announceHandover(term: number): Promise<void> {
    try {
      await this.#appendRecord('handover', term, { fencingTerm: term });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'FENCED' || isClosedStore(error)) return;
      this.#machinery.container.logger.warn(
        'could not announce a handover; followers ask when a request times out',
        {
          stream: this.#requestStream,
          error,
        },
      );
    }
  }

  async #appendRecord(kind: 'elected' | 'handover', term: number, options: { fencingTerm: number }) {
    const machinery = this.#machinery;
    const record = encodedEvent({
      id: machinery.container.newId(),
      name: kind,
      dataJson: JSON.stringify({ term }),
      metaJson: JSON.stringify({ actor: machinery.className, term }),
      at: machinery.container.clock.now().toISOString(),
    });
    await appendEventsRetryingUnavailable(machinery.container.store, this.#requestStream, [record], options);
  }

  // ---- the follower -------------------------------------------------------------------------

  async #sendRequests(batch: readonly FiredEvent[]): Promise<void> {
    const machinery = this.#machinery;
    const { container } = machinery;
    const records = batch.map((fired) => {
      const at = atOf(fired.event.at);
      // What caused the event (a listener's reaction) travels with the request, for the leader to store.
      const { actor: _actor, ...eventMeta } = fired.event.meta ?? {};
      return encodedEvent({
        id: container.newId(),
        name: 'request',
        dataJson: encodedDataOf(fired.event) ?? JSON.stringify(fired.event.data ?? null),
        metaJson: JSON.stringify({
          actor: machinery.className,
          eventId: fired.event.id,
          eventName: fired.event.name,
          eventAt: at,
          ...(Object.keys(eventMeta).length > 0 ? { eventMeta } : {}),
        }),
        at,
      });
    });
    const sentAt = performance.now();
    const waiting = batch.map((fired): Awaiting => ({
      fired,
      requestVersion: 0,
      sentAt,
      leaderTerm: this.#leaderTerm,
    }));
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

  /**
   * Someone here waited a whole period on the leader of term `blamed` (or on no leader): ask for
   * the lease, or take it over from that leader; a newer leader gets a whole period of its own.
   */
  async #askOrTakeOver(blamed: number): Promise<void> {
    const lease = await this.#machinery.container.store.readLease(this.#leaseName);
    if (this.#term !== undefined || this.#disposing) return;
    const holder = lease.held;
    if (holder !== undefined && holder.term > blamed) {
      // A leader newer than the one waited on (another node took over a moment ago): it gets a
      // whole period before anyone blames it.
      this.#leaderTerm = Math.max(this.#leaderTerm, holder.term);
      for (const each of this.#awaiting.values()) each.leaderTerm = this.#leaderTerm;
    } else if (holder === undefined || holder.holder === this.#keeper.holder) {
      // Nobody leads (or this process's other instance does): ask as usual.
      if (this.#campaign === undefined) this.#startCampaign();
      else this.#campaign.retryNow();
    } else if (this.#campaign === undefined) this.#startCampaign(holder.term);
    else this.#campaign.takeOver(holder.term);
  }

  /** The oldest request waited too long: look in the store, then take the lease from a leader that does not act. */
  async #requestTimedOut(): Promise<void> {
    if (this.#awaiting.size === 0) return;
    try {
      // A notification may have been lost: look in the store before blaming anyone.
      await this.#machinery.exclusive(() => this.#readStored());
      await this.#readRefusals();
      const oldest = this.#awaiting.values().next().value as Awaiting | undefined;
      if (oldest === undefined) return;
      if (performance.now() - oldest.sentAt < this.#options.requestTimeoutMs) {
        this.#armRequestTimer();
        return;
      }
      if (this.#term !== undefined) {
        // This node leads: its own requests wait for a serving round (one may have failed).
        this.#scheduleServing();
      } else {
        await this.#askOrTakeOver(oldest.leaderTerm);
      }
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
    // Look again after another period if it is still not served.
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
      const records = await store.readStream(this.#requestStream, { fromVersion: from, limit: PAGE_SIZE });
      this.#hearRecords(records, false);
      if (records.length < PAGE_SIZE || this.#awaiting.size === 0) return;
      from = (records.at(-1) as StoredEvent).version + 1;
    }
  }

  #rejectAwaiting(error: unknown): void {
    const awaiting = [...this.#awaiting.values()];
    this.#awaiting.clear();
    for (const { fired } of awaiting) fired.reject(error);
  }

  /** Records of the request stream: `live` when the feed brings them now, not read back from the past. */
  #hearRecords(records: readonly StoredEvent[], live: boolean): void {
    // Only a leader serves from what it heard; a follower keeps nothing.
    if (live && this.#term !== undefined) this.#server.hear(records);
    let requested = false;
    for (const stored of records) {
      const record = readRequestRecord(stored);
      if (record === undefined) continue;
      if (record.kind === 'refused') {
        const awaiting = this.#awaiting.get(record.refusal.eventId);
        if (awaiting !== undefined) {
          this.#awaiting.delete(record.refusal.eventId);
          awaiting.fired.reject(errorOf(record.refusal, this.#machinery.id));
          this.#followIfIdle();
        }
      } else if (!live) {
        // What happened to leadership long ago says nothing about now.
      } else if (record.kind === 'request') {
        requested = true;
      } else if (record.kind === 'elected') {
        this.#leaderGone = false;
        this.#leaderTerm = Math.max(this.#leaderTerm, record.term);
        // A new leader gets a whole period to serve what waits, before anyone blames it.
        const now = performance.now();
        for (const each of this.#awaiting.values()) each.sentAt = Math.max(each.sentAt, now);
        // A successor took over: this leader stops before its next append is refused.
        const term = this.#term;
        if (term !== undefined && record.term > term) this.#stepDown(term);
      } else if (this.#term === undefined) {
        // A leader handed over: whoever waits on a request (or ticks) asks for the lease now.
        this.#leaderGone = true;
        if (this.#awaiting.size > 0 || this.#ticker !== undefined || this.#listeners > 0) {
          if (this.#campaign === undefined) this.#startCampaign();
          else this.#campaign.retryNow();
        }
      }
    }
    if (requested && this.#term !== undefined) this.#scheduleServing(true);
  }

  // ---- events as stored ---------------------------------------------------------------------

  /** Reads and accepts every stored event after the confirmed version, taking note of each. */
  #readStored(): Promise<void> {
    return this.#local.readStored((events) => this.#accept(events));
  }

  async #receive(events: readonly StoredEvent[]): Promise<void> {
    const first = events.find((event) => event.version > this.#local.confirmedVersion);
    if (first !== undefined && first.version > this.#local.confirmedVersion + 1) await this.#readStored();
    // Also what this node appended as leader: a request of its own among them resolves here.
    this.#accept(events);
  }

  /** Applies stored events, then takes note of them. */
  #accept(events: readonly StoredEvent[]): void {
    let failure: unknown;
    try {
      this.#local.acceptStored(events);
    } catch (error) {
      failure = error;
    }
    this.#noteStored(events, failure);
    if (failure !== undefined) throw failure;
  }

  /**
   * What applied events say: the requests they serve (the mark, and this actor's waiting `Fire`s)
   * and the last tick. Events past the version applied (a handler refused one) reject with `failure`.
   */
  #noteStored(events: readonly StoredEvent[], failure?: unknown): void {
    const applied = this.#machinery.version();
    for (const event of events) {
      if (event.version > applied) {
        this.#awaiting.get(event.id)?.fired.reject(failure);
        this.#awaiting.delete(event.id);
        continue;
      }
      const request = (event.meta as { request?: unknown }).request;
      if (typeof request === 'number' && request > this.#servedThrough) this.#servedThrough = request;
      if (event.name === 'tick') {
        const tick = lastTickOf(event.data);
        if (tick !== undefined && tick.n > (this.#lastTick?.n ?? 0)) this.#lastTick = tick;
      }
      const awaiting = this.#awaiting.get(event.id);
      if (awaiting === undefined) continue;
      this.#awaiting.delete(event.id);
      awaiting.fired.resolve(event);
    }
    if (this.#awaiting.size === 0) {
      clearTimeout(this.#requestTimer);
      this.#requestTimer = undefined;
      this.#followIfIdle();
    }
    // The leader stores, and every node loads: those take snapshots; a follower that only hears
    // the leader's events does not (each node would save the same one).
    if (failure === undefined && (this.#term !== undefined || this.#loading)) {
      this.#snapshots.confirmed(events, this.#local.pendingCount);
    }
  }

  /** What restores the marks a snapshot kept (see `#noteStored`); `undefined` if they are malformed. */
  #marksRestorer(marks: JsonValue | undefined): (() => void) | undefined {
    if (typeof marks !== 'object' || marks === null || Array.isArray(marks)) return undefined;
    const { servedThrough, lastTick } = marks;
    if (!Number.isSafeInteger(servedThrough) || (servedThrough as number) < 0) return undefined;
    let tick: LastTick | undefined;
    if (lastTick !== null) {
      if (typeof lastTick !== 'object' || Array.isArray(lastTick) || lastTick === undefined) return undefined;
      const { n, plannedAt } = lastTick;
      if (!Number.isSafeInteger(n) || (n as number) < 1 || !Number.isFinite(plannedAt)) return undefined;
      tick = { n: n as number, plannedAt: plannedAt as number };
    }
    return () => {
      this.#servedThrough = servedThrough as number;
      this.#lastTick = tick;
    };
  }

  /** Runs `work` in the actor's lane; a failure is reported, never left unhandled. */
  #inLane(work: () => Promise<void>, operation: string): void {
    void this.#machinery
      .exclusive(work)
      .catch((error: unknown) => this.#machinery.reportFailure(error, operation));
  }
}
