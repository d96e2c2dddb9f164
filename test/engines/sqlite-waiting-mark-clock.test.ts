/**
 * A waiting mark whose modification time lies in the future (left by a writer killed while it
 * waited, before the system clock was stepped back; or written under a clock ahead of this
 * process's) is as stale as an old one. No live claimant keeps such a mark (a live one refreshes it
 * to its own clock), so deferring to it would make every write wait out its busy timeout for
 * nothing.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitingMark } from '../../src/engines/sqlite/waiting-mark.js';
import { sqliteStore } from '../../src/sqlite.js';

let directory: string;
let file: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-mark-clock-'));
  file = join(directory, 'store.sqlite');
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** A mark of a writer that no longer runs, dated an hour after now. */
function abandonedMarkFromTheFuture(): void {
  const mark = `${file}-waiting`;
  writeFileSync(mark, '999999');
  const later = new Date(Date.now() + 60 * 60 * 1000);
  utimesSync(mark, later, later);
}

describe('a waiting mark dated in the future', () => {
  it('is not taken for a writer waiting now', () => {
    abandonedMarkFromTheFuture();
    expect(waitingMark(file).otherIsWaiting()).toBe(false);
  });

  it('does not hold back a write that finds the lock free', async () => {
    const store = sqliteStore({ file, busyTimeoutMs: 2000 });
    await store.appendToStream('s', [{ name: 'first' }]);
    abandonedMarkFromTheFuture();
    const order: string[] = [];

    // With the lock free, the append runs within the call: it settles before any timer fires.
    const appended = store.appendToStream('s', [{ name: 'second' }]).then(() => void order.push('appended'));
    setTimeout(() => void order.push('timer fired'), 0);
    await appended;
    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(order).toEqual(['appended', 'timer fired']);
    await store.close();
  });
});
