/**
 * The lease rules every engine keeps, written once: the argument checks the facade makes before an
 * engine sees a lease call, and the decisions themselves over two small tables, for the engines
 * that decide in JavaScript inside one atomic step (memory: synchronously; SQLite: inside one
 * `BEGIN IMMEDIATE` transaction). PostgreSQL keeps the same rules in its server-side functions.
 *
 * The tables:
 * - a holder row per holder: its `incarnation` (which unbroken tenure this is) and `expiresAt`
 *   (store clock, ms). Renewing a holder extends all of its leases at once.
 * - a lease row per name: the holder and incarnation of its latest tenure and that tenure's term.
 *   A lease is held while its row names a holder whose row is of the same incarnation and unexpired.
 *
 * Why an incarnation: a holder whose tenure lapsed and that acquires one lease again starts a new
 * tenure; its other leases of the lapsed tenure must stay lost (the process stopped acting on
 * them when its renewal failed), and the incarnation ends them all without touching their rows.
 *
 * Guarantees (given a clock that does not step back):
 * - terms of a lease strictly increase over its tenures, from 1; a term names one unbroken tenure;
 * - a lease is never held by two holders at once: its row names one holder, and another gets it
 *   only once that holder's expiry passed, or by a takeover naming the very term it replaces (so
 *   of two takeovers that saw the same tenure, one wins and the other sees the new term);
 * - a refusal, a failed renewal and a release of a lease one does not hold change nothing.
 */
import { UsageError } from '../errors.js';
import { hasControlCharacter, isWellFormedText, MAX_STREAM_ID_LENGTH } from '../events/names.js';
import { describeValue } from './describe-value.js';
import type { LeaseAnswer, LeaseRenewal, LeaseState } from './engine.js';

/** The longest TTL: Node's timers cannot wait longer, so a holder could not renew in time. */
export const MAX_LEASE_TTL_MS = 2_147_483_647;

/** Lease names and holder ids: 1 to 256 characters, no control characters, well-formed text. */
export function requireLeaseText(value: unknown, what: 'lease name' | 'holder'): asserts value is string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_STREAM_ID_LENGTH ||
    hasControlCharacter(value) ||
    !isWellFormedText(value)
  ) {
    throw new UsageError(
      `a ${what} must be 1 to ${MAX_STREAM_ID_LENGTH} characters with no control characters, ` +
        `got ${describeValue(value)}`,
    );
  }
}

export function requireLeaseTtl(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_LEASE_TTL_MS) {
    throw new UsageError(
      `ttlMs must be a whole number of milliseconds from 1 to ${MAX_LEASE_TTL_MS}, got ${describeValue(value)}`,
    );
  }
}

/** The tenure a takeover names: a term as `Lease.term` gives it. */
export function requireLeaseTerm(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`a lease term must be a whole number >= 1, got ${describeValue(value)}`);
  }
}

export interface HolderRow {
  readonly incarnation: number;
  /** Store clock, milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface LeaseRow {
  /** `null` once released. */
  readonly holder: string | null;
  readonly incarnation: number;
  readonly term: number;
}

/** The two tables, as an engine reads and writes them inside its atomic step. */
export interface LeaseTables {
  lease(name: string): LeaseRow | undefined;
  putLease(name: string, row: LeaseRow): void;
  holder(holder: string): HolderRow | undefined;
  putHolder(holder: string, row: HolderRow): void;
  /** Forgets a lapsed holder's row if no lease names it any more (its leases were all taken). */
  forgetHolderIfUnused(holder: string): void;
}

/** An expiry in the past for released tenures (0 is the epoch: before any store's now). */
const LAPSED = 0;

export function acquireIn(
  tables: LeaseTables,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
): LeaseAnswer {
  const lease = tables.lease(name);
  const live = lease === undefined ? undefined : liveHolder(tables, lease, now);
  if (lease !== undefined && live !== undefined && lease.holder !== holder) {
    return refusal(name, lease, live, now);
  }
  return grant(tables, name, holder, ttlMs, now, lease, live !== undefined);
}

/**
 * `acquireIn`, except that a lease another holder holds is granted all the same while its term is
 * still `term`: the tenure the caller judged not to act is the one it ends, and no later one.
 */
export function takeOverIn(
  tables: LeaseTables,
  name: string,
  holder: string,
  ttlMs: number,
  term: number,
  now: number,
): LeaseAnswer {
  const lease = tables.lease(name);
  const live = lease === undefined ? undefined : liveHolder(tables, lease, now);
  if (lease === undefined || live === undefined || lease.holder === holder) {
    return grant(tables, name, holder, ttlMs, now, lease, live !== undefined);
  }
  if (lease.term !== term) return refusal(name, lease, live, now);
  // The previous holder keeps its tenure and its other leases; only this lease's row moves on.
  return grant(tables, name, holder, ttlMs, now, lease, false);
}

/**
 * Extends `holder`'s tenure and gives it `name`: in the term it already holds it in when
 * `sameTenure`, else in a new tenure with the next term.
 */
function grant(
  tables: LeaseTables,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
  lease: LeaseRow | undefined,
  sameTenure: boolean,
): LeaseAnswer {
  const mine = tables.holder(holder);
  const incarnation = mine === undefined ? 1 : mine.expiresAt > now ? mine.incarnation : mine.incarnation + 1;
  const expiresAt = now + ttlMs;
  tables.putHolder(holder, { incarnation, expiresAt });
  if (lease !== undefined && sameTenure) {
    return { granted: true, ...leaseOf(name, holder, lease.term, expiresAt, now) };
  }
  const term = (lease?.term ?? 0) + 1;
  tables.putLease(name, { holder, incarnation, term });
  const previous = lease?.holder;
  if (previous != null && previous !== holder) forgetIfLapsed(tables, previous, now);
  return { granted: true, ...leaseOf(name, holder, term, expiresAt, now) };
}

function refusal(
  name: string,
  lease: LeaseRow,
  live: { holder: string; row: HolderRow },
  now: number,
): LeaseAnswer {
  return { granted: false, ...leaseOf(name, live.holder, lease.term, live.row.expiresAt, now) };
}

export function renewIn(
  tables: LeaseTables,
  holder: string,
  ttlMs: number,
  now: number,
): LeaseRenewal | undefined {
  const row = tables.holder(holder);
  if (row === undefined || row.expiresAt <= now) return undefined;
  const expiresAt = now + ttlMs;
  tables.putHolder(holder, { incarnation: row.incarnation, expiresAt });
  return { holder, expiresAt: isoOf(expiresAt), expiresInMs: ttlMs };
}

export function releaseIn(tables: LeaseTables, name: string, holder: string, now: number): boolean {
  const lease = tables.lease(name);
  if (lease === undefined || lease.holder !== holder || liveHolder(tables, lease, now) === undefined)
    return false;
  tables.putLease(name, { ...lease, holder: null });
  return true;
}

export function releaseHolderIn(tables: LeaseTables, holder: string): void {
  const row = tables.holder(holder);
  if (row !== undefined && row.expiresAt > LAPSED) tables.putHolder(holder, { ...row, expiresAt: LAPSED });
}

export function readIn(tables: LeaseTables, name: string, now: number): LeaseState {
  const lease = tables.lease(name);
  if (lease === undefined) return { name, term: 0, held: undefined };
  const live = liveHolder(tables, lease, now);
  const held = live && leaseOf(name, live.holder, lease.term, live.row.expiresAt, now);
  return { name, term: lease.term, held };
}

/** Keeps the holder table from growing with every process that ever ran and was taken over from. */
function forgetIfLapsed(tables: LeaseTables, holder: string, now: number): void {
  const row = tables.holder(holder);
  if (row !== undefined && row.expiresAt <= now) tables.forgetHolderIfUnused(holder);
}

/** The holder that holds `lease` now, with its row, or `undefined` if nobody holds it. */
function liveHolder(
  tables: LeaseTables,
  lease: LeaseRow,
  now: number,
): { holder: string; row: HolderRow } | undefined {
  if (lease.holder === null) return undefined;
  const row = tables.holder(lease.holder);
  if (row === undefined || row.incarnation !== lease.incarnation || row.expiresAt <= now) return undefined;
  return { holder: lease.holder, row };
}

function leaseOf(name: string, holder: string, term: number, expiresAt: number, now: number) {
  return { name, holder, term, expiresAt: isoOf(expiresAt), expiresInMs: expiresAt - now };
}

function isoOf(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}
