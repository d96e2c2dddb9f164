/**
 * Opens the SQLite file a store works on, ready for several processes of one machine to share:
 * WAL journal (readers never block the writer, nor the writer them), a busy timeout (a reader, or
 * the opening itself, waits its turn instead of failing at once; writes wait for the write lock on
 * a timer instead, see `write-turns.ts`), and the schema brought up to date. Opening is synchronous:
 * a new file's WAL switch and migration are a few statements, run once per store. Everything that
 * can be wrong with the file — missing, not a database, locked, read-only where it must be written,
 * from a newer version — fails here, at open, with a `StoreUnavailableError`.
 *
 * The native driver is loaded on the first open, so that a program that never uses SQLite never
 * loads it.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { migrateSchema, readSchemaVersion } from './schema.js';
import { openErrorFrom, sqliteCode } from './sqlite-errors.js';

/**
 * - `'full'`: a commit is on disk before the append resolves, so a stored event survives a power
 *   cut or an OS crash. It costs one fsync of the WAL per append.
 * - `'normal'`: a commit survives the process crashing, but the last commits before a power cut or
 *   an OS crash may be lost (the file stays consistent). Several times more appends per second.
 */
export type SynchronousMode = 'full' | 'normal';

export interface ConnectionOptions {
  readonly file: string;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  readonly synchronous: SynchronousMode;
}

type Driver = typeof Database;
let driver: Driver | undefined;

function loadDriver(): Driver {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as Driver;
  return driver;
}

export function openConnection(options: ConnectionOptions): Database.Database {
  const { file, readonly, busyTimeoutMs, synchronous } = options;
  let db: Database.Database;
  try {
    const Driver = loadDriver();
    db = new Driver(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (error) {
    throw openErrorFrom(error, file);
  }
  try {
    // SQLite opens files lazily: this first read is what finds out that a file is not a database.
    readSchemaVersion(db);
    if (!readonly && !db.memory) useWriteAheadLog(db, busyTimeoutMs);
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    migrateSchema(db, file, readonly);
    return db;
  } catch (error) {
    db.close();
    throw openErrorFrom(error, file);
  }
}

/** Pauses this thread while opening (the open is synchronous, like every call of the driver). */
function pauseThread(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

function useWriteAheadLog(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = performance.now() + busyTimeoutMs;
  for (;;) {
    if (db.pragma('journal_mode', { simple: true }) === 'wal') return;
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const code = sqliteCode(error);
      // A file this process may not write keeps its journal mode: it can still be read, and
      // appends will be refused as read-only.
      if (code?.startsWith('SQLITE_READONLY')) return;
      // Switching needs the file to itself, and SQLite answers BUSY at once, without waiting out
      // the busy timeout, when another process opening a new file at the same moment holds a lock
      // that waiting would deadlock with. That process is switching the file itself: look again.
      if (code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw error;
      pauseThread(5);
    }
  }
}
