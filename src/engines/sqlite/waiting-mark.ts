/**
 * The fair hand-over between processes writing one SQLite file: a small file beside the database
 * (`<file>-waiting`) that says "a writer has waited long for the write lock; let it in next".
 *
 * SQLite's write lock has no queue. A process that commits and at once begins again nearly always
 * wins against one that polls for the lock, so a busy process could keep the lock for seconds
 * while the others wait. With the mark:
 * - a writer that has waited for the lock longer than `CLAIM_AFTER_MS` claims the mark, creating
 *   the file exclusively (`O_EXCL`: one claimant at a time), and keeps it fresh while it waits;
 * - every other writer, before it tries the lock, looks for a fresh mark that is not its own and,
 *   if there is one, waits instead (still within its own busy timeout), so the lock falls free
 *   for the claimant;
 * - the claimant removes the mark once its transaction has committed (or it gave up).
 * A mark not refreshed for `STALE_AFTER_MS` (its writer crashed, or its event loop stalls) is
 * ignored and may be replaced.
 *
 * The mark is a hint for fairness, nothing more: the write lock alone decides who writes, so a
 * lost, stale or doubly claimed mark can cost some fairness, never a wrong or lost write. When the
 * file cannot be created (a directory this process may not write), writers simply compete.
 */
import { closeSync, openSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * How long a writer waits for the lock before it asks the others to let it in. Each turn handed
 * over through the mark leaves the lock idle until the claimant's next look (a timer tick), so a
 * short wait costs throughput; a long one lets a busy process keep the lock longer. Measured with
 * `npm run bench -- --only sqlite-contention` at 5 and 25 ms: 25 ms kept most of the throughput
 * and was as fair as 5 ms (BENCHMARKS.md, "SQLite under contention").
 */
export const CLAIM_AFTER_MS = 25;
/** How old a mark may be before it is taken for abandoned. */
export const STALE_AFTER_MS = 200;

export interface WaitingMark {
  /** Whether another writer holds a fresh mark: this one should let it in first. */
  otherIsWaiting(): boolean;
  /** Claims the mark, or keeps the one already claimed fresh; answers whether this writer holds it. */
  claim(): boolean;
  /** Removes this writer's mark, if it holds one. */
  release(): void;
}

/** A mark for a database that no other connection can write (in memory, or opened read-only). */
export const NO_MARK: WaitingMark = {
  otherIsWaiting: () => false,
  claim: () => false,
  release: () => undefined,
};

/**
 * How long an answer of `otherIsWaiting` is reused: every write asks, and looking at the file
 * costs a system call, while a claimant waits whole milliseconds between its own looks anyway.
 */
const LOOK_AGAIN_AFTER_MS = 1;

export function waitingMark(databaseFile: string): WaitingMark {
  // Absolute, so that a process that changes its directory still looks at the same mark.
  const path = `${resolve(databaseFile)}-waiting`;
  let held = false;
  let lookedAt = -Infinity;
  let seen = false;

  function freshMarkExists(): boolean {
    try {
      const stat = statSync(path, { throwIfNoEntry: false });
      // A mark dated ahead (the clock stepped back since its writer died) is as stale as an old one.
      return stat !== undefined && Math.abs(Date.now() - stat.mtimeMs) < STALE_AFTER_MS;
    } catch {
      return false;
    }
  }

  function create(): boolean {
    try {
      const descriptor = openSync(path, 'wx');
      try {
        writeSync(descriptor, String(process.pid));
      } finally {
        closeSync(descriptor);
      }
      return true;
    } catch {
      return false;
    }
  }

  function removeQuietly(): void {
    try {
      unlinkSync(path);
    } catch {
      // Gone already, or not ours to remove: either way it no longer asks for anything.
    }
  }

  return {
    otherIsWaiting() {
      if (held) return false;
      const now = performance.now();
      if (now - lookedAt >= LOOK_AGAIN_AFTER_MS) {
        seen = freshMarkExists();
        lookedAt = now;
      }
      return seen;
    },
    claim() {
      if (held) {
        try {
          const now = new Date();
          utimesSync(path, now, now);
          return true;
        } catch {
          // Removed by a writer that took it for stale: claim it again below.
          held = false;
        }
      }
      if (!create()) {
        if (freshMarkExists()) return false;
        removeQuietly();
        if (!create()) return false;
      }
      held = true;
      return true;
    },
    release() {
      if (!held) return;
      held = false;
      lookedAt = -Infinity;
      removeQuietly();
    },
  };
}
