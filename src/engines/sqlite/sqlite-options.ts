/** The SQLite engine's own options, checked before anything is opened. */
import { UsageError } from '../../errors.js';
import { describeValue } from '../describe-value.js';
import type { StoreOptions } from '../engine.js';
import { readOptions } from '../options.js';
import { DEFAULT_POLL_INTERVAL_MS } from './change-watcher.js';
import type { SynchronousMode } from './connection.js';

export interface SqliteStoreOptions extends StoreOptions {
  /** The database file (created if missing), or `':memory:'` for a database private to this store. */
  file: string;
  /**
   * Open the file for reading only: reads work, appends reject with `StoreUnavailableError`. The
   * file must exist and hold a store.
   */
  readonly?: boolean;
  /**
   * How long a call waits for another process's write to finish before rejecting with
   * `StoreUnavailableError` (default 5000 ms). An append, lease call or snapshot save waits on a
   * timer, with the event loop running; only opening the file waits inside the driver.
   */
  busyTimeoutMs?: number;
  /**
   * When an append counts as stored (default `'full'`): `'full'` waits until the commit is on disk
   * and survives a power cut; `'normal'` survives the process crashing but may lose the last
   * commits to a power cut or OS crash, for several times more appends per second. Events are the
   * only source of truth, so the default does not trade them for speed.
   */
  synchronous?: SynchronousMode;
  /**
   * How often a subscribed store checks the file for commits made by other connections (other
   * processes, other stores on the file) when it cannot watch the file, in milliseconds (default
   * 10). A store normally watches the file's write-ahead log and hears another connection's commit
   * within a millisecond or two, checking it anyway every `pollIntervalMs` or every 500 ms,
   * whichever is longer, in case the system dropped an event; it falls back to this poll where the file cannot be
   * watched (the system's limit on watches reached, a file system without notifications, a system
   * other than Linux).
   * Appends made through this store are notified at once; a `':memory:'` store has no other writer.
   */
  pollIntervalMs?: number;
  /**
   * Whether a subscribed store watches the file's write-ahead log to hear other connections'
   * commits (default `true`). `false` only polls, every `pollIntervalMs`: for a file system whose
   * notifications cannot be trusted, or to compare.
   */
  watchFile?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface ResolvedSqliteOptions {
  readonly file: string;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous: SynchronousMode;
  readonly pollIntervalMs: number;
  readonly watchFile: boolean;
}

export function resolveSqliteOptions(options: SqliteStoreOptions): ResolvedSqliteOptions {
  return readOptions('the sqliteStore options', () => resolveNow(options));
}

function resolveNow(options: SqliteStoreOptions): ResolvedSqliteOptions {
  const {
    file,
    readonly = false,
    busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
    synchronous = 'full',
    pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
    watchFile = true,
  } = options ?? {};
  if (typeof file !== 'string' || file === '') {
    throw new UsageError(`sqliteStore needs { file }: a file path or ':memory:'`);
  }
  wholeMilliseconds(busyTimeoutMs, 'busyTimeoutMs', 0);
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new UsageError(`synchronous must be 'full' or 'normal', got ${describeValue(synchronous)}`);
  }
  wholeMilliseconds(pollIntervalMs, 'pollIntervalMs', 1);
  if (typeof watchFile !== 'boolean') {
    throw new UsageError(`watchFile must be true or false, got ${describeValue(watchFile)}`);
  }
  return { file, readonly: readonly === true, busyTimeoutMs, synchronous, pollIntervalMs, watchFile };
}

function wholeMilliseconds(value: unknown, name: string, least: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
    throw new UsageError(
      `${name} must be a whole number of milliseconds >= ${least}, got ${describeValue(value)}`,
    );
  }
}
