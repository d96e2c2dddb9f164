/**
 * Turns the errors of SQLite into Omniscient's typed errors, so that no raw driver error leaves
 * the engine: whatever SQLite reports about the file itself (locked, read-only, missing, not a
 * database, I/O, corrupt, full) becomes a `StoreUnavailableError` that names the file and keeps
 * the driver's error as its cause.
 */
import { messageOf, OmniscientError, StoreUnavailableError } from '../../errors.js';

/** What the extended result codes that need more than their primary code's words mean. */
const EXTENDED_REASONS: Readonly<Record<string, string>> = {
  SQLITE_READONLY_DIRECTORY:
    'is in a directory this process may not write, and SQLite must create the -wal and -shm files ' +
    'beside a WAL database to read it',
  SQLITE_CANTOPEN_ISDIR: 'is a directory',
};

/** What each primary SQLite result code means for the caller. */
const REASONS: Readonly<Record<string, string>> = {
  BUSY: 'is locked by another connection for longer than the busy timeout',
  LOCKED: 'is locked by another connection for longer than the busy timeout',
  READONLY: 'is read-only',
  CANTOPEN: 'cannot be opened',
  NOTADB: 'is not a SQLite database',
  IOERR: 'could not be read or written (disk I/O error)',
  CORRUPT: 'is corrupt',
  FULL: 'cannot grow: the disk is full',
  PERM: 'is not accessible with the permissions of this process',
  AUTH: 'refused access',
};

/** The SQLite result code of a driver error (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, …), if it has one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * The typed error for anything thrown while using the database at `file`. Omniscient's own errors
 * pass through; an error that does not come from SQLite (a bug) is returned unchanged.
 */
export function storeErrorFrom(error: unknown, file: string): unknown {
  if (error instanceof OmniscientError) return error;
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const primary = /^SQLITE_([A-Z]+)/.exec(code)?.[1] ?? '';
  const reason = EXTENDED_REASONS[code] ?? REASONS[primary] ?? 'failed';
  return new StoreUnavailableError(
    `the store file ${describeFile(file)} ${reason} (${code}: ${messageOf(error)})`,
    { cause: error },
  );
}

/** The typed error for a failure to open the database: every failure there means the store is unusable. */
export function openErrorFrom(error: unknown, file: string): unknown {
  if (error instanceof OmniscientError || sqliteCode(error) !== undefined) return storeErrorFrom(error, file);
  return new StoreUnavailableError(
    `the store file ${describeFile(file)} cannot be opened: ${messageOf(error)}`,
    {
      cause: error,
    },
  );
}

export function describeFile(file: string): string {
  return JSON.stringify(file);
}
