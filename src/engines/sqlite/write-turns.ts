/**
 * How a SQLite store takes its turn at the file's single write lock without stopping its event
 * loop. The driver is synchronous: left to SQLite's busy handler, a process waiting for another
 * process's write would sleep inside the call, its timers, sockets and other actors frozen for up
 * to the busy timeout. Instead, every write transaction (append, lease call, snapshot save) is
 * tried with SQLite's busy timeout set to 0, so it either takes the lock at once or fails with
 * `SQLITE_BUSY` before it has written anything; a failed try waits on a timer (backoff with
 * jitter) and runs the whole transaction again, checks included.
 *
 * Guarantees:
 * - Uncontended, a write runs synchronously within the call, as before: nothing is awaited.
 * - A write waits for the lock at most the busy timeout in total, counted from its call; then it
 *   fails with the driver's `SQLITE_BUSY` error (turned into `StoreUnavailableError` by the store,
 *   with the same message as a busy timeout has always had). It is always tried at least once.
 * - Nothing is half-written: a transaction that cannot take the lock has not begun, and one that
 *   fails later is rolled back by the driver before it is tried again.
 * - One store's writes run in the order they were called: once one waits, later ones queue behind
 *   it rather than overtake it.
 * - Fair hand-over between processes: a writer that has waited a while asks the others to let it
 *   in next (`waiting-mark.ts`).
 *
 * Reads keep the connection's busy timeout: in WAL mode readers do not wait for the writer, and
 * the rare waits they have (another connection recovering or closing the file) stay short.
 */
import type Database from 'better-sqlite3';
import { sqliteCode } from './sqlite-errors.js';
import { CLAIM_AFTER_MS, type WaitingMark } from './waiting-mark.js';

/** The first pause after a failed try, and the longest: the lock is usually free again within one commit. */
const FIRST_PAUSE_MS = 1;
const LONGEST_PAUSE_MS = 8;
/** How long the holder of the waiting mark looks every millisecond, and how often after that. */
const EAGER_LOOKS_MS = 50;
const PATIENT_LOOK_MS = 4;

export interface WriteTurns {
  /**
   * Runs `transaction` (one `BEGIN IMMEDIATE` transaction of the driver) once it can take the write
   * lock: at once when it is free and no earlier write of this store waits, else later, through
   * the promise returned. Errors other than a busy lock are thrown (or rejected) as they are.
   */
  run<T>(transaction: () => T): T | Promise<T>;
  /** Lets go of the fairness mark, if this store holds one. Queued writes are settled by then. */
  stop(): void;
}

interface Waiting {
  readonly transaction: () => unknown;
  readonly deadline: number;
  readonly calledAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Attempt<T> =
  { readonly done: true; readonly value: T } | { readonly done: false; readonly busy: unknown };

export function writeTurns(db: Database.Database, busyTimeoutMs: number, mark: WaitingMark): WriteTurns {
  const queue: Waiting[] = [];

  /** One try: the transaction with SQLite told not to wait; a busy lock is an answer, not an error. */
  function attempt<T>(transaction: () => T): Attempt<T> {
    // Run through `db.pragma`, which prepares the statement each time: `busy_timeout` takes effect
    // when it is prepared, so a statement prepared once would leave the first try of every store
    // waiting in SQLite's busy handler, its event loop stopped.
    db.pragma('busy_timeout = 0');
    try {
      return { done: true, value: transaction() };
    } catch (error) {
      if (sqliteCode(error)?.startsWith('SQLITE_BUSY')) return { done: false, busy: error };
      throw error;
    } finally {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    }
  }

  async function waitForTurn(waiting: Waiting): Promise<unknown> {
    let looks = 0;
    let claimedAt: number | undefined;
    for (;;) {
      const now = performance.now();
      const expired = now >= waiting.deadline;
      const waitedLong = now - waiting.calledAt >= CLAIM_AFTER_MS;
      const claimed = waitedLong && mark.claim();
      if (!claimed) claimedAt = undefined;
      else claimedAt ??= now;
      looks++;
      // The holder of the mark looks again as soon as it can, to take the lock the moment it falls
      // free; after a while (the lock's holder is in a long transaction) less often. The others
      // back off, so that waiting costs the machine few wake-ups.
      const next =
        claimedAt === undefined
          ? backoff(looks)
          : now - claimedAt < EAGER_LOOKS_MS
            ? FIRST_PAUSE_MS
            : PATIENT_LOOK_MS;
      if (!claimed && !expired && mark.otherIsWaiting()) {
        // Let the long waiter in: the lock is its next.
        await pause(next, waiting.deadline);
        continue;
      }
      const outcome = attempt(waiting.transaction);
      if (outcome.done) return outcome.value;
      if (expired) throw outcome.busy;
      await pause(next, waiting.deadline);
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const waiting = queue[0]!;
      try {
        waiting.resolve(await waitForTurn(waiting));
      } catch (error) {
        waiting.reject(error);
      } finally {
        mark.release();
        queue.shift();
      }
    }
  }

  return {
    run<T>(transaction: () => T): T | Promise<T> {
      const calledAt = performance.now();
      if (queue.length === 0 && !mark.otherIsWaiting()) {
        const outcome = attempt(transaction);
        if (outcome.done) return outcome.value;
        // Busy, and no time to wait: the same error a busy timeout of 0 always gave.
        if (busyTimeoutMs === 0) throw outcome.busy;
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({
          transaction,
          calledAt,
          deadline: calledAt + busyTimeoutMs,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        if (queue.length === 1) void drain();
      });
    },
    stop: () => mark.release(),
  };
}

/** Backoff with jitter after the n-th look: up to 1, 2, 4, 8, 8… ms, at least half of that. */
function backoff(looks: number): number {
  const longest = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (looks - 1));
  return longest / 2 + Math.random() * (longest / 2);
}

/** Waits `milliseconds`, but never past `deadline` (so the last try comes on time). */
function pause(milliseconds: number, deadline: number): Promise<void> {
  const left = Math.max(0, deadline - performance.now());
  return new Promise((resolve) => setTimeout(resolve, Math.min(milliseconds, left)));
}
