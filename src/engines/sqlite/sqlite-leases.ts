/**
 * The SQLite engine's leases: the two lease tables (`lease-rules.ts`) in the file, each call one
 * `BEGIN IMMEDIATE` transaction, so it is serialised with every other writer of the file in any
 * process (the store runs the writing ones in its write turns, `write-turns.ts`). The clock is the file's host clock read by SQLite itself once the write lock is held:
 * every process sharing the file shares that machine's clock, so it is the store's clock.
 */
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../errors.js';
import {
  acquireIn,
  readIn,
  releaseHolderIn,
  releaseIn,
  renewIn,
  takeOverIn,
  type HolderRow,
  type LeaseRow,
  type LeaseTables,
} from '../lease-rules.js';
import type { EngineStorage } from '../store-facade.js';

/** The lease calls of `EngineStorage`, answered synchronously (the store runs them in its write turns). */
export type SqliteLeases = {
  readonly [Call in LeaseCall]: (
    ...args: Parameters<EngineStorage[Call]>
  ) => Awaited<ReturnType<EngineStorage[Call]>>;
};

type LeaseCall =
  'acquireLease' | 'takeOverLease' | 'renewLeases' | 'releaseLease' | 'releaseHolder' | 'readLease';

export function sqliteLeases(db: Database.Database): SqliteLeases {
  const statements = {
    // Milliseconds since the epoch; 'now' is SQLite's reading of the host clock.
    now: db.prepare("SELECT CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)").pluck(),
    lease: db.prepare('SELECT holder, incarnation, term FROM leases WHERE name = ?').raw(),
    putLease: db.prepare(
      `INSERT INTO leases (name, holder, incarnation, term) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder, incarnation = excluded.incarnation, term = excluded.term`,
    ),
    holder: db.prepare('SELECT incarnation, expires_at FROM lease_holders WHERE holder = ?').raw(),
    putHolder: db.prepare(
      `INSERT INTO lease_holders (holder, incarnation, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (holder) DO UPDATE SET incarnation = excluded.incarnation, expires_at = excluded.expires_at`,
    ),
    forgetHolder: db.prepare(
      `DELETE FROM lease_holders
        WHERE holder = ? AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.holder = lease_holders.holder)`,
    ),
  };
  const tables: LeaseTables = {
    lease(name) {
      const row = statements.lease.get(name) as unknown[] | undefined;
      return row === undefined ? undefined : leaseRow(name, row);
    },
    putLease: (name, row) => void statements.putLease.run(name, row.holder, row.incarnation, row.term),
    holder(holder) {
      const row = statements.holder.get(holder) as unknown[] | undefined;
      return row === undefined ? undefined : holderRow(holder, row);
    },
    putHolder: (holder, row) => void statements.putHolder.run(holder, row.incarnation, row.expiresAt),
    forgetHolderIfUnused: (holder) => void statements.forgetHolder.run(holder),
  };
  const now = (): number => statements.now.get() as number;
  const acquire = db.transaction((name: string, holder: string, ttlMs: number) =>
    acquireIn(tables, name, holder, ttlMs, now()),
  );
  const takeOver = db.transaction((name: string, holder: string, ttlMs: number, term: number) =>
    takeOverIn(tables, name, holder, ttlMs, term, now()),
  );
  const renew = db.transaction((holder: string, ttlMs: number) => renewIn(tables, holder, ttlMs, now()));
  const release = db.transaction((name: string, holder: string) => releaseIn(tables, name, holder, now()));
  const releaseHolder = db.transaction((holder: string) => releaseHolderIn(tables, holder));
  // A read: a deferred transaction is enough for both tables to be read from one snapshot.
  const read = db.transaction((name: string) => readIn(tables, name, now()));
  return {
    acquireLease: (name, holder, ttlMs) => acquire.immediate(name, holder, ttlMs),
    takeOverLease: (name, holder, ttlMs, term) => takeOver.immediate(name, holder, ttlMs, term),
    renewLeases: (holder, ttlMs) => renew.immediate(holder, ttlMs),
    releaseLease: (name, holder) => release.immediate(name, holder),
    releaseHolder: (holder) => releaseHolder.immediate(holder),
    readLease: (name) => read.deferred(name),
  };
}

function leaseRow(name: string, [holder, incarnation, term]: unknown[]): LeaseRow {
  if ((holder !== null && typeof holder !== 'string') || !isCount(incarnation) || !isCount(term)) {
    throw new StoreUnavailableError(`the store's row of lease "${name}" is malformed`);
  }
  return { holder, incarnation, term };
}

function holderRow(holder: string, [incarnation, expiresAt]: unknown[]): HolderRow {
  if (!isCount(incarnation) || !isCount(expiresAt)) {
    throw new StoreUnavailableError(`the store's row of lease holder "${holder}" is malformed`);
  }
  return { incarnation, expiresAt };
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
