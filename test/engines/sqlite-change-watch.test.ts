/**
 * How a SQLite store hears commits made by other connections to its file: through a watch on the
 * file's write-ahead log, confirmed by the file's change counter, with a poll of that counter where
 * the file cannot be watched. The stores here poll so rarely (every ten minutes) that only the
 * watch can explain a subscriber hearing another connection's commit before the test times out.
 */
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventNotification, EventStore } from '../../src/engines/engine.js';
import {
  watchForChanges,
  watchWithFileSystem,
  type WatchDirectory,
} from '../../src/engines/sqlite/change-watcher.js';
import { sqliteStore } from '../../src/sqlite.js';

/** Long enough that no poll runs during a test: a wake-up can only come from the watch. */
const NEVER_MS = 600_000;

let directory: string;
const opened: EventStore[] = [];
const connections: Database.Database[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-watch-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  for (const connection of connections.splice(0)) connection.close();
  rmSync(directory, { recursive: true, force: true });
});

function track(store: EventStore): EventStore {
  opened.push(store);
  return store;
}

function connect(file: string, options?: Database.Options): Database.Database {
  const connection = new Database(file, options);
  connections.push(connection);
  return connection;
}

/** A subscription that resolves `until(n)` once it has heard `n` notifications. */
async function hearing(store: EventStore) {
  const heard: EventNotification[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const subscription = await store.subscribe((notifications) => {
    heard.push(...notifications);
    for (const waiter of waiters) if (heard.length >= waiter.count) waiter.resolve();
  });
  return {
    heard,
    subscription,
    until(count: number): Promise<void> {
      if (heard.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** How many inotify watches this process holds (Linux keeps them in each inotify descriptor's fdinfo). */
function inotifyWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
      count += info.split('\n').filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // A descriptor closed between the listing and the read.
    }
  }
  return count;
}

describe('a SQLite subscriber hears other connections through the file system', () => {
  it("wakes on a second store's commit with no poll to explain it", async () => {
    const file = join(directory, 'watched.sqlite');
    const listening = track(sqliteStore({ file, pollIntervalMs: NEVER_MS }));
    const writing = track(sqliteStore({ file, pollIntervalMs: NEVER_MS }));
    const subscriber = await hearing(listening);

    await writing.appendToStream('s', [{ name: 'first' }]);
    await subscriber.until(1);
    await writing.appendToStream('s', [{ name: 'second' }, { name: 'third' }]);
    await subscriber.until(3);

    expect(subscriber.heard.map((notification) => notification.name)).toEqual(['first', 'second', 'third']);
  });

  it('wakes again after a checkpoint truncates the write-ahead log to nothing', async () => {
    const file = join(directory, 'truncated.sqlite');
    const listening = track(sqliteStore({ file, pollIntervalMs: NEVER_MS }));
    const writing = track(sqliteStore({ file, pollIntervalMs: NEVER_MS }));
    const subscriber = await hearing(listening);
    await writing.appendToStream('s', [{ name: 'before' }]);
    await subscriber.until(1);

    const checkpointing = connect(file);
    checkpointing.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(`${file}-wal`).length).toBe(0);

    await writing.appendToStream('s', [{ name: 'after' }]);
    await subscriber.until(2);
    expect(subscriber.heard.map((notification) => notification.name)).toEqual(['before', 'after']);
  });

  it('wakes on a write-ahead log that did not exist when the subscriber began to watch', async () => {
    // A file left in rollback-journal mode, opened for reading only, has no log: the log appears
    // only once a writer switches the file to WAL.
    const file = join(directory, 'no-log-yet.sqlite');
    await sqliteStore({ file }).close();
    connect(file).pragma('journal_mode = DELETE');
    connections.pop()?.close();
    const listening = track(sqliteStore({ file, readonly: true, pollIntervalMs: NEVER_MS }));
    const subscriber = await hearing(listening);
    expect(existsSync(`${file}-wal`)).toBe(false);

    const writing = track(sqliteStore({ file, pollIntervalMs: NEVER_MS }));
    await writing.appendToStream('s', [{ name: 'logged' }]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    await subscriber.until(1);
    expect(subscriber.heard.map((notification) => notification.name)).toEqual(['logged']);
  });

  it('holds one watch while someone subscribes, none once the last subscription or the store closes', async () => {
    const file = join(directory, 'lifetime.sqlite');
    const before = inotifyWatches();
    const store = sqliteStore({ file, pollIntervalMs: NEVER_MS });
    expect(inotifyWatches()).toBe(before);

    const first = await hearing(store);
    const second = await hearing(store);
    expect(inotifyWatches()).toBe(before + 1);
    await first.subscription.close();
    expect(inotifyWatches()).toBe(before + 1);
    await second.subscription.close();
    expect(inotifyWatches()).toBe(before);

    await hearing(store);
    expect(inotifyWatches()).toBe(before + 1);
    await store.close();
    expect(inotifyWatches()).toBe(before);
  });
});

describe('the change watcher where the file cannot be watched', () => {
  it('a store told not to watch its file polls it every pollIntervalMs, holding no watch', async () => {
    const file = join(directory, 'polled.sqlite');
    const before = inotifyWatches();
    const listening = track(sqliteStore({ file, pollIntervalMs: 5, watchFile: false }));
    const writing = track(sqliteStore({ file, pollIntervalMs: NEVER_MS, watchFile: false }));
    const subscriber = await hearing(listening);
    expect(inotifyWatches()).toBe(before);

    await writing.appendToStream('s', [{ name: 'polled' }]);
    await subscriber.until(1);
    expect(subscriber.heard.map((notification) => notification.name)).toEqual(['polled']);
  });

  function commitFromAnotherConnection(file: string): void {
    connect(file).exec('CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)');
    connections.pop()?.close();
  }

  function changes() {
    let count = 0;
    let wake: () => void = () => undefined;
    return {
      onChange: () => {
        count++;
        wake();
      },
      next: () => new Promise<void>((resolve) => (wake = resolve)),
      get count() {
        return count;
      },
    };
  }

  it('polls the change counter every pollIntervalMs when the watch cannot start', async () => {
    const file = join(directory, 'unwatchable.sqlite');
    const db = connect(file);
    db.pragma('journal_mode = WAL');
    const seen = changes();
    const failing: WatchDirectory = () => {
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      });
    };
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: 5,
      onChange: seen.onChange,
      onError: (error) => expect.fail(String(error)),
      watchDirectory: failing,
    });
    watcher.setActive(true);
    expect(watcher.mode).toBe('polling');

    const heard = seen.next();
    commitFromAnotherConnection(file);
    await heard;
    expect(seen.count).toBe(1);
    watcher.stop();
    expect(watcher.mode).toBe('off');
  });

  it('falls back to polling when a running watch fails', async () => {
    const file = join(directory, 'broken.sqlite');
    const db = connect(file);
    db.pragma('journal_mode = WAL');
    const seen = changes();
    let breakWatch: (error: unknown) => void = () => undefined;
    let closed = 0;
    const breaking: WatchDirectory = (watched, onEvent, onFailure) => {
      const real = watchWithFileSystem(watched, onEvent, onFailure);
      breakWatch = onFailure;
      return {
        close() {
          closed++;
          real.close();
        },
      };
    };
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: NEVER_MS,
      onChange: seen.onChange,
      onError: (error) => expect.fail(String(error)),
      watchDirectory: breaking,
    });
    watcher.setActive(true);
    expect(watcher.mode).toBe('watching');
    watcher.setActive(false);
    expect(closed).toBe(1);

    const polling = watchForChanges({
      db,
      file,
      pollIntervalMs: 5,
      onChange: seen.onChange,
      onError: (error) => expect.fail(String(error)),
      watchDirectory: breaking,
    });
    polling.setActive(true);
    breakWatch(new Error('the watched directory went away'));
    expect(polling.mode).toBe('polling');
    expect(closed).toBe(2);

    const heard = seen.next();
    commitFromAnotherConnection(file);
    await heard;
    expect(seen.count).toBe(1);
    polling.stop();
  });

  it('reads the counter again after an event that came before the commit was visible', async () => {
    // The log is written before the commit's sync: the event can come before the commit shows.
    const file = join(directory, 'early-event.sqlite');
    const db = connect(file);
    db.pragma('journal_mode = WAL');
    const seen = changes();
    let announce: (name: string | null) => void = () => undefined;
    const handTriggered: WatchDirectory = (_watched, onEvent) => {
      announce = onEvent;
      return { close: () => undefined };
    };
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: NEVER_MS,
      onChange: seen.onChange,
      onError: (error) => expect.fail(String(error)),
      watchDirectory: handTriggered,
    });
    watcher.setActive(true);

    announce(`${basename(file)}-wal`);
    expect(seen.count).toBe(0);
    const heard = seen.next();
    commitFromAnotherConnection(file);
    await heard;
    expect(seen.count).toBe(1);
    watcher.stop();
  });

  it('ignores events on the other files of the directory', async () => {
    const file = join(directory, 'mine.sqlite');
    const db = connect(file);
    db.pragma('journal_mode = WAL');
    const seen = changes();
    let announce: (name: string | null) => void = () => undefined;
    const handTriggered: WatchDirectory = (_watched, onEvent) => {
      announce = onEvent;
      return { close: () => undefined };
    };
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: NEVER_MS,
      onChange: seen.onChange,
      onError: (error) => expect.fail(String(error)),
      watchDirectory: handTriggered,
    });
    watcher.setActive(true);
    commitFromAnotherConnection(file);
    announce('someone-else.sqlite-wal');
    announce(`${basename(file)}-shm`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.count).toBe(0);

    const heard = seen.next();
    announce(`${basename(file)}-wal`);
    await heard;
    expect(seen.count).toBe(1);
    watcher.stop();
  });

  it('neither watches nor polls a database in memory, which no other connection can write', () => {
    const db = connect(':memory:');
    const before = inotifyWatches();
    const watcher = watchForChanges({
      db,
      file: ':memory:',
      pollIntervalMs: 1,
      onChange: () => expect.fail('nothing else can commit'),
      onError: (error) => expect.fail(String(error)),
    });
    watcher.setActive(true);
    expect(watcher.mode).toBe('off');
    expect(inotifyWatches()).toBe(before);
    watcher.stop();
  });
});
