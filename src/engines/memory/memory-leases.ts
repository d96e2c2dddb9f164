/**
 * The memory engine's leases: the two lease tables (`lease-rules.ts`) in maps, judged on the
 * store's `now`. Each call runs synchronously from its reads to its writes, so it is one atomic
 * step for every caller of the process, as a transaction is for the persistent engines.
 */
import { clockTime } from '../append-rules.js';
import type { EngineStorage } from '../store-facade.js';
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

export type MemoryLeases = Pick<
  EngineStorage,
  'acquireLease' | 'takeOverLease' | 'renewLeases' | 'releaseLease' | 'releaseHolder' | 'readLease'
>;

export function memoryLeases(now: () => Date): MemoryLeases {
  const leases = new Map<string, LeaseRow>();
  const holders = new Map<string, HolderRow>();
  /** How many lease rows name each holder, so that forgetting one costs no scan. */
  const named = new Map<string, number>();
  const count = (holder: string | null | undefined, by: number): void => {
    if (holder != null) named.set(holder, (named.get(holder) ?? 0) + by);
  };
  const tables: LeaseTables = {
    lease: (name) => leases.get(name),
    putLease(name, row) {
      count(leases.get(name)?.holder, -1);
      count(row.holder, 1);
      leases.set(name, row);
    },
    holder: (holder) => holders.get(holder),
    putHolder: (holder, row) => void holders.set(holder, row),
    forgetHolderIfUnused(holder) {
      if ((named.get(holder) ?? 0) > 0) return;
      named.delete(holder);
      holders.delete(holder);
    },
  };
  // The same clock, and the same checks of it, as the one that stamps events.
  const clock = (): number => Date.parse(clockTime(now));
  return {
    acquireLease: (name, holder, ttlMs) => acquireIn(tables, name, holder, ttlMs, clock()),
    takeOverLease: (name, holder, ttlMs, term) => takeOverIn(tables, name, holder, ttlMs, term, clock()),
    renewLeases: (holder, ttlMs) => renewIn(tables, holder, ttlMs, clock()),
    releaseLease: (name, holder) => releaseIn(tables, name, holder, clock()),
    releaseHolder: (holder) => releaseHolderIn(tables, holder),
    readLease: (name) => readIn(tables, name, clock()),
  };
}
