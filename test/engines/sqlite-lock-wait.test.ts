/**
 * Waiting for the SQLite file's write lock: a store whose write finds the lock held by another
 * connection waits on a timer, so its event loop keeps running, and its write lands once the lock
 * is free; the busy timeout still ends the wait with the typed error it always had.
 */
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { STALE_AFTER_MS, waitingMark, type WaitingMark } from '../../src/engines/sqlite/waiting-mark.js';
import { writeTurns } from '../../src/engines/sqlite/write-turns.js';
import { sqliteStore } from '../../src/sqlite.js';
import { startChild } from './child-processes.js';

let directory: string;
let file: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-lock-wait-'));
  file = join(directory, 'store.sqlite');
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** Another connection to the file, holding its write lock until told to let go. */
function lockHolder(): { release(): void } {
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  return {
    release() {
      holder.exec('ROLLBACK');
      holder.close();
    },
  };
}

/** Records the order in which things happened. */
function timeline(): { note(what: string): void; readonly order: string[] } {
  const order: string[] = [];
  return { note: (what) => void order.push(what), order };
}

describe('a SQLite write waiting for another connection to release the write lock', () => {
  it('keeps the event loop running while it waits, then lands', async () => {
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'before' }]);
    const holder = lockHolder();
    const events = timeline();

    const appended = store
      .appendToStream('s', [{ name: 'waited' }], { expectedVersion: 1 })
      .then((result) => {
        events.note('appended');
        return result;
      });
    // Only a running event loop fires these timers; the second one is what lets the lock go.
    setTimeout(() => events.note('timer fired'), 1);
    setTimeout(() => {
      events.note('lock released');
      holder.release();
    }, 50);

    const result = await appended;
    expect(events.order).toEqual(['timer fired', 'lock released', 'appended']);
    expect(result.version).toBe(2);
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before', 'waited']);
    await store.close();
  });

  it('keeps the event loop running while another process holds the lock, then lands', async () => {
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'before' }]);
    const other = startChild('hold-write-lock.ts', [file]);
    await other.ready;
    const events = timeline();

    const appended = store.appendToStream('s', [{ name: 'waited' }]).then((result) => {
      events.note('appended');
      return result;
    });
    // Only a running event loop fires this timer, and tells the other process to let go.
    setTimeout(() => {
      events.note('timer fired');
      other.go();
    }, 1);

    expect((await appended).version).toBe(2);
    expect(await other.result).toEqual({ released: true });
    expect(events.order).toEqual(['timer fired', 'appended']);
    await store.close();
  });

  it('stores the writes made meanwhile in the order they were made', async () => {
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'first' }]);
    const holder = lockHolder();
    const writes = ['second', 'third', 'fourth'].map((name) => store.appendToStream('s', [{ name }]));
    setTimeout(() => holder.release(), 30);

    expect((await Promise.all(writes)).map((result) => result.version)).toEqual([2, 3, 4]);
    expect((await store.readStream('s')).map((event) => event.name)).toEqual([
      'first',
      'second',
      'third',
      'fourth',
    ]);
    await store.close();
  });

  it('waits the same way for a lease call and a snapshot save', async () => {
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'first' }]);
    const holder = lockHolder();
    const events = timeline();
    const lease = store.acquireLease('leader', { holder: 'node-a', ttlMs: 10_000 }).then((answer) => {
      events.note('lease answered');
      return answer;
    });
    const snapshot = store
      .saveSnapshot({ stream: 's', key: 'state', version: 1, fingerprint: 'f', state: { n: 1 } })
      .then(() => events.note('snapshot saved'));
    setTimeout(() => {
      events.note('lock released');
      holder.release();
    }, 30);

    expect(await lease).toMatchObject({ granted: true });
    await snapshot;
    expect(events.order).toEqual(['lock released', 'lease answered', 'snapshot saved']);
    expect(await store.readSnapshot('s', 'state')).toMatchObject({ version: 1, state: { n: 1 } });
    await store.close();
  });

  it('ends the wait at the busy timeout with StoreUnavailableError, having stored nothing', async () => {
    const store = sqliteStore({ file, busyTimeoutMs: 100 });
    await store.appendToStream('s', [{ name: 'before' }]);
    const holder = lockHolder();
    const events = timeline();
    const timer = setInterval(() => events.note('timer fired'), 1);

    const error = await store
      .appendToStream('s', [{ name: 'blocked' }])
      .catch((caught: unknown) => caught)
      .finally(() => clearInterval(timer));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(
      `the store file ${JSON.stringify(file)} is locked by another connection for longer than the ` +
        'busy timeout (SQLITE_BUSY: database is locked)',
    );
    expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(events.order).toContain('timer fired');

    holder.release();
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before']);
    await store.appendToStream('s', [{ name: 'after' }]);
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before', 'after']);
    await store.close();
  });

  it('with a busy timeout of 0, fails at once rather than wait', async () => {
    const store = sqliteStore({ file, busyTimeoutMs: 0 });
    await store.appendToStream('s', [{ name: 'before' }]);
    const holder = lockHolder();
    const error = await store.appendToStream('s', [{ name: 'blocked' }]).catch((caught: unknown) => caught);
    holder.release();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    await store.close();
  });
});

/** Resolves once `condition` holds, looking every few milliseconds. */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('taking turns with other processes', () => {
  it('a writer that waited long leaves a mark beside the file until its write lands', async () => {
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'before' }]);
    const holder = lockHolder();
    const appended = store.appendToStream('s', [{ name: 'waited' }]);

    await eventually(() => existsSync(`${file}-waiting`));
    holder.release();
    expect((await appended).version).toBe(2);
    expect(existsSync(`${file}-waiting`)).toBe(false);
    await store.close();
  });

  it("a writer lets another's long wait go first, even with the lock free", async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE turns (taken TEXT)');
    let otherWaiting = true;
    const othersMark: WaitingMark = {
      otherIsWaiting: () => otherWaiting,
      claim: () => false,
      release: () => undefined,
    };
    const turns = writeTurns(db, 5000, othersMark);
    const insert = db.transaction(() => {
      db.prepare("INSERT INTO turns (taken) VALUES ('yes')").run();
      return 'written';
    });
    const events = timeline();

    const answer = turns.run(() => insert.immediate());
    expect(answer).toBeInstanceOf(Promise);
    setTimeout(() => {
      events.note('other writer done');
      otherWaiting = false;
    }, 20);
    expect(await answer).toBe('written');
    events.note('written');
    expect(events.order).toEqual(['other writer done', 'written']);
    turns.stop();
    db.close();
  });
});

describe('the mark a long-waiting writer leaves beside the file', () => {
  it('is held by one writer at a time, and the others see it until it is released', () => {
    // A writer reuses what it saw for a millisecond: a new one looks at the file itself.
    const anotherLooks = () => waitingMark(file).otherIsWaiting();
    const first = waitingMark(file);
    const second = waitingMark(file);
    expect(anotherLooks()).toBe(false);

    expect(first.claim()).toBe(true);
    expect(first.claim()).toBe(true);
    expect(first.otherIsWaiting()).toBe(false);
    expect(anotherLooks()).toBe(true);
    expect(second.claim()).toBe(false);

    first.release();
    expect(anotherLooks()).toBe(false);
    expect(second.claim()).toBe(true);
    expect(first.otherIsWaiting()).toBe(true);
    second.release();
    expect(anotherLooks()).toBe(false);
  });

  it('is ignored, and may be taken over, once it is stale (its writer crashed)', () => {
    writeFileSync(`${file}-waiting`, '12345');
    const long = new Date(Date.now() - STALE_AFTER_MS - 1000);
    utimesSync(`${file}-waiting`, long, long);
    const writer = waitingMark(file);
    expect(writer.otherIsWaiting()).toBe(false);
    expect(writer.claim()).toBe(true);
    expect(waitingMark(file).otherIsWaiting()).toBe(true);
    writer.release();
  });
});
