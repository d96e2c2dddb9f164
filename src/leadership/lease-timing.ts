/**
 * How long a process's leases last and how it keeps them: the TTL it asks for, how often it renews,
 * and how long before its tenure would end by its own clock a leader stops acting.
 *
 * The trade-off: failover after a crash takes about one TTL (a follower waits until the dead
 * holder's tenure ends), so a shorter TTL fails over sooner, but costs more renewals (one statement
 * per process every `renewEveryMs`) and leaves less room for a slow store or a paused event loop
 * before a healthy leader has to step down. The defaults (1500 ms, renewal every 500 ms, step down
 * 300 ms before the tenure would end) put failover after `kill -9` at about 1–1.6 s, with two
 * renewals that may fail before a leader steps down.
 *
 * Guarantees: the values are whole numbers of milliseconds the store accepts, and a leader renews at
 * least once before it would step down (`renewEveryMs < ttlMs - stepDownMarginMs`); anything else is
 * refused with `UsageError` when the keeper is made.
 */
import { MAX_LEASE_TTL_MS } from '../engines/lease-rules.js';
import { UsageError } from '../errors.js';

export const DEFAULT_LEASE_TTL_MS = 1500;

/** The most a refused campaign adds to the holder's remaining tenure, so that followers spread out. */
export const RETRY_JITTER_MS = 30;

export interface LeaseTimingOptions {
  /** How long each tenure lasts without renewal, on the store's clock (default 1500 ms). */
  ttlMs?: number;
  /** How often a process that leads renews its tenure (default a third of the TTL). */
  renewEveryMs?: number;
  /**
   * How long before its tenure would end, by its own monotonic clock, a leader that could not renew
   * stops acting (default a fifth of the TTL): room for clocks that run at slightly different rates
   * and for an event loop that runs late.
   */
  stepDownMarginMs?: number;
}

export interface LeaseTiming {
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly stepDownMarginMs: number;
}

export function resolveLeaseTiming(options: LeaseTimingOptions = {}): LeaseTiming {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  requireWholeMs(ttlMs, 'ttlMs', 1, MAX_LEASE_TTL_MS);
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  requireWholeMs(renewEveryMs, 'renewEveryMs', 1, MAX_LEASE_TTL_MS);
  const stepDownMarginMs = options.stepDownMarginMs ?? Math.floor(ttlMs / 5);
  requireWholeMs(stepDownMarginMs, 'stepDownMarginMs', 0, MAX_LEASE_TTL_MS);
  if (renewEveryMs >= ttlMs - stepDownMarginMs) {
    throw new UsageError(
      `renewEveryMs (${renewEveryMs}) must be shorter than ttlMs - stepDownMarginMs ` +
        `(${ttlMs - stepDownMarginMs}): a leader would step down before its first renewal`,
    );
  }
  return { ttlMs, renewEveryMs, stepDownMarginMs };
}

function requireWholeMs(value: unknown, name: string, lowest: number, highest: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest || value > highest) {
    throw new UsageError(`${name} must be a whole number of milliseconds from ${lowest} to ${highest}`);
  }
}

/** When a refused campaign asks again: once the holder's tenure would have ended, plus a jitter. */
export function retryDelayMs(expiresInMs: number): number {
  return Math.min(MAX_LEASE_TTL_MS, expiresInMs + Math.floor(Math.random() * RETRY_JITTER_MS) + 1);
}
