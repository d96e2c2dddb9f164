/**
 * The first write of a store that finds the lock held waits on a timer like any other, with the
 * event loop running. `PRAGMA busy_timeout = N` takes effect when the statement is prepared, not
 * when it is stepped, so a store that prepared its busy-timeout statements once would leave its
 * first try waiting inside SQLite's busy handler, up to the whole busy timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/sqlite.js';

let directory: string;
let file: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-first-write-'));
  file = join(directory, 'store.sqlite');
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe("a store's first write, finding the lock held by another connection", () => {
  it('keeps the event loop running while it waits, then lands', async () => {
    const creator = sqliteStore({ file });
    await creator.appendToStream('s', [{ name: 'before' }]);
    await creator.close();
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    const store = sqliteStore({ file, busyTimeoutMs: 2000 });
    const order: string[] = [];

    const appended = store.appendToStream('s', [{ name: 'waited' }], { expectedVersion: 1 }).then(
      (result) => {
        order.push('appended');
        return result.version;
      },
      (error: unknown) => {
        order.push('failed');
        throw error;
      },
    );
    // Only a running event loop fires these timers; the second one is what lets the lock go.
    setTimeout(() => void order.push('timer fired'), 1);
    setTimeout(() => {
      order.push('lock released');
      holder.exec('ROLLBACK');
      holder.close();
    }, 50);

    const version = await appended.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(order).toEqual(['timer fired', 'lock released', 'appended']);
    expect(version).toBe(2);
    await store.close();
  });

  it('is the same for a lease call', async () => {
    const creator = sqliteStore({ file });
    await creator.appendToStream('s', [{ name: 'before' }]);
    await creator.close();
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    const store = sqliteStore({ file, busyTimeoutMs: 2000 });
    const order: string[] = [];

    const acquired = store.acquireLease('leader', { holder: 'node-a', ttlMs: 10_000 }).then(
      () => void order.push('lease answered'),
      () => void order.push('lease failed'),
    );
    setTimeout(() => void order.push('timer fired'), 1);
    setTimeout(() => {
      order.push('lock released');
      holder.exec('ROLLBACK');
      holder.close();
    }, 50);

    await acquired;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(order).toEqual(['timer fired', 'lock released', 'lease answered']);
    await store.close();
  });
});
