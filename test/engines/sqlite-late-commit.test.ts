/**
 * The file-system event for a commit comes when the write-ahead log is written; the commit becomes
 * visible after the log's sync, which a loaded disk or `synchronous: 'full'` may make slow. The
 * watcher's re-checks must reach the safety poll (500 ms at least), so that such a commit is heard
 * promptly: here the poll is 10 minutes away, so only the re-checks can hear it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { watchForChanges, type WatchDirectory } from '../../src/engines/sqlite/change-watcher.js';

let directory: string;
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('the change watcher and a commit whose sync outlasts the re-checks', () => {
  it('hears a commit that becomes visible 150 ms after its last file-system event', async () => {
    directory = mkdtempSync(join(tmpdir(), 'sqlite-late-'));
    const file = join(directory, 'late.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    let announce: (name: string | null) => void = () => undefined;
    const handTriggered: WatchDirectory = (_watched, onEvent) => {
      announce = onEvent;
      return { close: () => undefined };
    };
    let heard: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => (heard = resolve));
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: 600_000,
      onChange: () => heard(),
      onError: (error) => expect.fail(String(error)),
      watchDirectory: handTriggered,
    });
    watcher.setActive(true);
    // The log is written (the event), the sync takes 150 ms, then the commit shows.
    announce(`${basename(file)}-wal`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const other = new Database(file);
    other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    other.close();
    await changed;
    watcher.stop();
    db.close();
  }, 5_000);
});
