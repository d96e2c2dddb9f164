/**
 * `setActive(false)` / `stop()` clear every timer, even when called from inside a re-check (an
 * error hook that closes the subscription on the error it is told of): the re-check must not go on
 * reading the counter, and reporting errors, for the rest of its schedule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { watchForChanges, type WatchDirectory } from '../../src/engines/sqlite/change-watcher.js';

let directory: string;
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe('the change watcher stopped from inside a re-check', () => {
  it('reads nothing and reports nothing once stopped', async () => {
    directory = mkdtempSync(join(tmpdir(), 'sqlite-stop-'));
    const file = join(directory, 'stopped.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    let announce: (name: string | null) => void = () => undefined;
    const handTriggered: WatchDirectory = (_watched, onEvent) => {
      announce = onEvent;
      return { close: () => undefined };
    };
    const errors: unknown[] = [];
    const watcher = watchForChanges({
      db,
      file,
      pollIntervalMs: 600_000,
      onChange: () => undefined,
      // What a subscriber's error hook may do: give up on the first error.
      onError: (error) => {
        errors.push(error);
        watcher.setActive(false);
      },
      watchDirectory: handTriggered,
    });
    watcher.setActive(true);
    announce(`${basename(file)}-wal`); // read at once, then re-checks every millisecond
    db.close(); // the next re-check fails
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the whole re-check schedule
    expect(watcher.mode).toBe('off');
    expect(errors).toHaveLength(1);
  });
});
