/**
 * Notices commits made to the file by other connections (other processes, or other stores on the
 * same file), while someone subscribes, and says so through `onChange`.
 *
 * The truth is `PRAGMA data_version`, which SQLite changes whenever another connection commits: a
 * read of a counter, a few microseconds. What prompts a read is, by preference, the file system:
 *
 * - **Watching** (the default, on Linux): an inotify watch on the file's directory, filtered to
 *   the file's names. Every commit writes the write-ahead log, so a commit by any process of the
 *   machine raises an event here within microseconds. The directory is watched rather than the log
 *   itself because the log may not exist yet, and the last connection closing or a checkpoint
 *   (`wal_checkpoint(TRUNCATE)`) may remove or recreate it: a watch on a file follows one inode.
 *   An event is only a hint, for two reasons: it also comes from this connection's own writes and
 *   from checkpoints, which change nothing a subscriber sees; and the log is written before the
 *   commit is visible (the sync and the shared index come after). So each event is confirmed by the
 *   counter, read at once, then every millisecond for 10 ms and less often until about half a second
 *   after the last event (`SETTLE_DELAYS_MS`). A busy writer makes a reader check at most
 *   about once per millisecond, however many events it raises. A slow safety poll (every
 *   `pollIntervalMs` or `SAFETY_POLL_MS`, whichever is longer) catches anything the OS dropped
 *   (a full event queue).
 * - **Polling**: where the directory cannot be watched (the watch throws — too many watches, a file
 *   system without notifications — or fails later), on systems other than Linux, and with
 *   `watchFile: false`, the counter is read every `pollIntervalMs`.
 * - **Off**: a `':memory:'` database has no other connection: nothing to watch or poll (this
 *   store's own appends wake its subscriptions directly).
 *
 * Nothing here keeps the process alive (the watch is not persistent, the timers are unreferenced),
 * and `setActive(false)` or `stop()` closes the watch and clears every timer.
 */
import { realpathSync, watch as watchFileSystem } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';

/** How often the counter is read where the file cannot be watched (`pollIntervalMs`'s default). */
export const DEFAULT_POLL_INTERVAL_MS = 10;
/** The longest a watched file goes unchecked: the floor of the safety poll while watching. */
export const SAFETY_POLL_MS = 500;
/**
 * After a file-system event, the counter is read at once, then after each of these pauses: every
 * millisecond for 10 ms, then less and less often, until about half a second after the event
 * (where the safety poll takes over). The event comes when the log is written, before the commit's
 * sync: in a two-process test on a busy 2-vCPU machine (`synchronous: 'full'`), 47% of commits were
 * visible within 1 ms of their event, 98% within 7 ms, all within 15 ms; a slow disk may take far
 * longer, and three reads more cost less than a commit heard only at the safety poll.
 */
const SETTLE_DELAYS_MS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 128, 256];

/** How a watcher learns of commits right now: `off` while nobody subscribes (or in memory). */
export type ChangeWatchMode = 'off' | 'watching' | 'polling';

/** A watch on a directory; `close` stops it. */
export interface DirectoryWatch {
  close(): void;
}

/**
 * Starts watching `directory`: `onEvent` for each event with the name it concerns (`null` when the
 * system does not say), `onFailure` if the watch breaks later. Throws when it cannot watch at all.
 */
export type WatchDirectory = (
  directory: string,
  onEvent: (name: string | null) => void,
  onFailure: (error: unknown) => void,
) => DirectoryWatch;

export interface ChangeWatchOptions {
  readonly db: Database.Database;
  /** The database file as the store was given it, or `':memory:'`. */
  readonly file: string;
  /** The poll where watching is unavailable, and the floor of the safety poll while watching. */
  readonly pollIntervalMs: number;
  readonly onChange: () => void;
  readonly onError: (error: unknown) => void;
  /** How a directory is watched: `fs.watch` unless a test supplies one that fails. */
  readonly watchDirectory?: WatchDirectory;
}

export interface ChangeWatcher {
  /** Starts (first subscription) or stops (last one closed) noticing other connections' commits. */
  setActive(active: boolean): void;
  stop(): void;
  readonly mode: ChangeWatchMode;
}

/**
 * Whether this system's file watch is known to report another process's write as it happens:
 * inotify does, and it is what was tested. Other systems' notifications may be batched (macOS
 * coalesces them) or late for a file another process holds open (Windows): they poll, as before.
 */
const WATCHES_PROMPTLY = process.platform === 'linux';

/** `fs.watch` on a directory, not keeping the process alive. */
export const watchWithFileSystem: WatchDirectory = (directory, onEvent, onFailure) => {
  const watcher = watchFileSystem(directory, { persistent: false }, (_type, name) => onEvent(name));
  watcher.on('error', onFailure);
  return { close: () => watcher.close() };
};

/** For a store told not to watch (`watchFile: false`): it polls, as where watching fails. */
export const refuseToWatch: WatchDirectory = () => {
  throw new Error('this store was told not to watch its file');
};

export function watchForChanges(options: ChangeWatchOptions): ChangeWatcher {
  const { db, pollIntervalMs, onChange, onError } = options;
  const watchDirectory = options.watchDirectory ?? (WATCHES_PROMPTLY ? watchWithFileSystem : refuseToWatch);
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const target = db.memory ? undefined : watchedNames(options.file);
  let mode: ChangeWatchMode = 'off';
  let seen: unknown;
  let poll: NodeJS.Timeout | undefined;
  let directoryWatch: DirectoryWatch | undefined;
  /** The pending re-check after an event, and which of `SETTLE_DELAYS_MS` it waits. */
  let settle: { timer: NodeJS.Timeout; step: number } | undefined;

  function check(): void {
    try {
      const current = dataVersion.get();
      if (current !== seen) {
        seen = current;
        onChange();
      }
    } catch (error) {
      onError(error);
    }
  }

  function settleAfter(step: number): void {
    const delay = SETTLE_DELAYS_MS[step];
    if (delay === undefined) {
      settle = undefined;
      return;
    }
    const timer = setTimeout(() => {
      check();
      // The check's error report may have stopped the watcher (a subscriber that closes on error).
      if (settle?.timer !== timer) return;
      // Even when the counter moved: a later commit whose event came within the millisecond may
      // still be syncing. A few reads more are cheaper than a commit heard at the safety poll.
      settleAfter(step + 1);
    }, delay);
    timer.unref();
    settle = { timer, step };
  }

  /** A file-system event on one of the file's names: a hint, confirmed by the counter. */
  function hinted(): void {
    // A check is already due within the millisecond: a burst of events costs one read.
    if (settle?.step === 0) return;
    if (settle !== undefined) clearTimeout(settle.timer);
    check();
    settleAfter(0);
  }

  function startPolling(intervalMs: number): void {
    clearInterval(poll);
    poll = setInterval(check, intervalMs);
    poll.unref();
  }

  /** Watching broke (or never worked): poll as the only way left. */
  function fallBack(): void {
    closeWatch();
    if (mode === 'off') return;
    mode = 'polling';
    startPolling(pollIntervalMs);
  }

  function closeWatch(): void {
    if (settle !== undefined) clearTimeout(settle.timer);
    settle = undefined;
    const closing = directoryWatch;
    directoryWatch = undefined;
    try {
      closing?.close();
    } catch {
      // Already closed by the failure that brought us here.
    }
  }

  function start(): void {
    if (target === undefined) return;
    try {
      directoryWatch = watchDirectory(
        target.directory,
        (name) => {
          if (name === null || target.names.has(name)) hinted();
        },
        () => fallBack(),
      );
      mode = 'watching';
    } catch {
      mode = 'polling';
    }
    try {
      // Read once the watch is in place: a commit after this read raises an event.
      seen = dataVersion.get();
    } catch (error) {
      halt();
      throw error;
    }
    startPolling(mode === 'watching' ? Math.max(pollIntervalMs, SAFETY_POLL_MS) : pollIntervalMs);
  }

  function halt(): void {
    mode = 'off';
    clearInterval(poll);
    poll = undefined;
    closeWatch();
  }

  return {
    setActive(active) {
      if (active && mode === 'off') start();
      else if (!active && mode !== 'off') halt();
    },
    stop: halt,
    get mode() {
      return mode;
    },
  };
}

/**
 * The directory of the file and the names in it whose changes may be a commit: the write-ahead
 * log, and, for a file not in WAL mode (one this process may only read), the file and its journal.
 * SQLite follows a symbolic link to the file and keeps its log next to the real one.
 */
function watchedNames(file: string): { directory: string; names: ReadonlySet<string> } {
  let path: string;
  try {
    path = realpathSync(file);
  } catch {
    path = resolve(file);
  }
  const name = basename(path);
  return { directory: dirname(path), names: new Set([`${name}-wal`, name, `${name}-journal`]) };
}
