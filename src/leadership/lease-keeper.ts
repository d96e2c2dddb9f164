/**
 * The keeper of one process's leases on one store: one holder id (random, per process), one TTL,
 * one renewal per period for every lease the process leads, however many, and the campaigns that
 * ask for them (`campaign.ts`). OneActor and TickActor elect their leaders through it.
 *
 * Guarantees:
 * - renewal costs one `renewLeases` call per `renewEveryMs` while the process leads anything, and
 *   none while it leads nothing (a grant extends the tenure itself);
 * - a leader is deposed when a renewal says its tenure lapsed (`'lapsed'`), and when its tenure
 *   would end by the local monotonic clock without a renewal having answered in time
 *   (`'expiring'`: a store that is down or slow, or a process that was paused) — before the store's
 *   own expiry, by the step-down margin, so it has stopped acting before a successor can be
 *   granted. An answer arriving after that moment may describe a new tenure that lost the old
 *   leases, so every leader is deposed first. Timing only decides who *should* act: the term each
 *   leader passes as its `fencingTerm` is what keeps a late writer out;
 * - `close()` deposes every leader, then ends the tenure with one `releaseHolder`, so successors
 *   are granted at once.
 *
 * Process lifetime: an open campaign keeps the process alive, whether it leads or stands by, as an
 * open subscription does: a standby exists to take over, and a process that exited while standing
 * by would leave nobody to. Once every campaign is closed (or the keeper is), nothing of the keeper
 * holds the process.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../container.js';
import type { LeaseStore } from '../engines/engine.js';
import { requireLeaseText } from '../engines/lease-rules.js';
import { ProcessHold } from '../engines/process-hold.js';
import { UsageError } from '../errors.js';
import {
  Campaign,
  isClosedStore,
  type CampaignCallbacks,
  type CampaignHandle,
  type CampaignHost,
} from './campaign.js';
import { resolveLeaseTiming, type LeaseTiming, type LeaseTimingOptions } from './lease-timing.js';
import { LocalTenure } from './local-tenure.js';
import { StoreClock } from './store-clock.js';

export interface LeaseKeeperOptions extends LeaseTimingOptions {
  logger?: Logger;
  /** The holder id (default: a new random id). Never the same in two live processes. */
  holder?: string;
}

/** The keepers of each store in this process, one per TTL: one holder keeps one TTL. */
const keepers = new WeakMap<LeaseStore, Map<number, LeaseKeeper>>();

export class LeaseKeeper {
  readonly holder: string;
  readonly timing: LeaseTiming;
  readonly #store: LeaseStore;
  readonly #logger: Logger | undefined;
  readonly #campaigns = new Map<string, Campaign>();
  readonly #leaders = new Set<Campaign>();
  readonly #tenure: LocalTenure;
  readonly #hold = new ProcessHold();
  /** The store's clock, as the lease answers tell it (see `store-clock.ts`). */
  readonly storeClock = new StoreClock();
  readonly #host: CampaignHost;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing = false;
  #closing: Promise<void> | undefined;

  /**
   * The keeper of `store` in this process for the TTL `options` ask for (default 1500 ms), made on
   * first use. Actor classes with different TTLs get different keepers (one holder keeps one TTL):
   * renewal costs one call per process, store and TTL in use.
   */
  static of(store: LeaseStore, options: LeaseKeeperOptions = {}): LeaseKeeper {
    const timing = resolveLeaseTiming(options);
    let byTtl = keepers.get(store);
    if (byTtl === undefined) keepers.set(store, (byTtl = new Map()));
    const existing = byTtl.get(timing.ttlMs);
    if (existing !== undefined && existing.#closing === undefined) return existing;
    const keeper = new LeaseKeeper(store, options);
    byTtl.set(timing.ttlMs, keeper);
    return keeper;
  }

  /** A keeper of its own, for a holder of its own: `of` is what a process uses. */
  constructor(store: LeaseStore, options: LeaseKeeperOptions = {}) {
    this.#store = store;
    this.timing = resolveLeaseTiming(options);
    const holder = options.holder ?? `node-${randomUUID()}`;
    // Checked here, by the store's own rules: a store would refuse it on every attempt.
    requireLeaseText(holder, 'holder');
    this.holder = holder;
    this.#logger = options.logger;
    this.#tenure = new LocalTenure(this.timing.stepDownMarginMs, () => this.#deposeAll('expiring'));
    this.#host = this.#makeHost();
  }

  /** How many campaigns of this keeper lead now. */
  get leading(): number {
    return this.#leaders.size;
  }

  /**
   * Campaigns for `name` until the handle (or the keeper) is closed: `onElected` when this
   * process is granted the lease, `onDeposed` when it must stop acting (see `campaign.ts`).
   */
  campaign(
    name: string,
    callbacks: CampaignCallbacks,
    options: { takeOverTerm?: number } = {},
  ): CampaignHandle {
    if (this.#closing !== undefined) throw new UsageError('this lease keeper is closed');
    requireLeaseText(name, 'lease name');
    if (this.#campaigns.has(name)) {
      throw new UsageError(`this process already campaigns for the lease "${name}"`);
    }
    const campaign = new Campaign(name, this.#host, callbacks);
    this.#campaigns.set(name, campaign);
    this.#hold.acquire();
    campaign.start(options.takeOverTerm);
    return campaign.handle;
  }

  /** Whether this process campaigns for `name` through this keeper. */
  campaigning(name: string): boolean {
    return this.#campaigns.has(name);
  }

  /** Deposes every leader, stops every campaign, and ends the tenure: every lease is free at once. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const byTtl = keepers.get(this.#store);
    if (byTtl?.get(this.timing.ttlMs) === this) byTtl.delete(this.timing.ttlMs);
    const closing = [...this.#campaigns.values()].map((campaign) => campaign.close(false));
    this.#stopRenewing();
    this.#hold.releaseAll();
    await Promise.all(closing);
    try {
      await this.#store.releaseHolder(this.holder);
    } catch (error) {
      if (isClosedStore(error)) return;
      this.#logger?.warn('could not release the tenure; its leases lapse with it', {
        holder: this.holder,
        error,
      });
    }
  }

  #makeHost(): CampaignHost {
    return {
      store: this.#store,
      holder: this.holder,
      ttlMs: this.timing.ttlMs,
      retryAfterFailureMs: this.timing.renewEveryMs,
      logger: this.#logger,
      storeClosed: () => void this.close(),
      observed: (expiresAt, expiresInMs) => this.storeClock.observe(expiresAt, expiresInMs),
      acceptGrant: (sentAt, expiresInMs) => {
        if (this.#leaders.size > 0 && this.#tenure.hasEnded()) this.#deposeAll('expiring');
        return this.#tenure.extend(sentAt, expiresInMs);
      },
      startedLeading: (campaign) => {
        this.#leaders.add(campaign);
        if (this.#leaders.size === 1) this.#startRenewing();
      },
      stoppedLeading: (campaign) => {
        this.#leaders.delete(campaign);
        if (this.#leaders.size === 0) this.#stopRenewing();
      },
      closed: (campaign) => {
        if (this.#campaigns.get(campaign.name) !== campaign) return;
        this.#campaigns.delete(campaign.name);
        this.#hold.release();
      },
    };
  }

  #startRenewing(): void {
    this.#tenure.watch();
    // Unreferenced: the process hold, not this timer, decides whether the process stays alive.
    this.#renewTimer = setInterval(() => void this.#renew(), this.timing.renewEveryMs).unref();
  }

  #stopRenewing(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
    this.#tenure.unwatch();
  }

  /** One call for every lease the process leads; skipped while the previous one is unanswered. */
  async #renew(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    const sentAt = performance.now();
    try {
      const renewal = await this.#store.renewLeases(this.holder, this.timing.ttlMs);
      if (renewal !== undefined) this.storeClock.observe(renewal.expiresAt, renewal.expiresInMs);
      if (this.#closing !== undefined) return;
      if (renewal === undefined) this.#deposeAll('lapsed');
      else if (this.#leaders.size > 0 && this.#tenure.hasEnded()) this.#deposeAll('expiring');
      else this.#tenure.extend(sentAt, renewal.expiresInMs);
    } catch (error) {
      if (isClosedStore(error)) {
        void this.close();
        return;
      }
      this.#logger?.warn('could not renew leases; leaders step down if this lasts', {
        holder: this.holder,
        error,
      });
    } finally {
      this.#renewing = false;
    }
  }

  #deposeAll(reason: 'lapsed' | 'expiring'): void {
    for (const leader of [...this.#leaders]) leader.depose(reason);
  }
}
