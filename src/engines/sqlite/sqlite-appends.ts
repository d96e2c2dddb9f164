/**
 * The SQLite append: one `BEGIN IMMEDIATE` transaction that takes the file's single write lock,
 * answers a retry (`append-results.ts`), checks the fencing term and the expected version, writes
 * the batch and the stream's new version and term (only the term for a batch of no events), and
 * commits, or leaves nothing behind. SQLite lets one writer at a time hold that lock, in this
 * process or another, and a position is assigned under it, so positions commit in increasing order.
 * The store runs it in its write turns (`write-turns.ts`): when the lock is held elsewhere, the
 * whole transaction is tried again later, so it must stay free of effects outside the database.
 */
import type Database from 'better-sqlite3';
import { CorruptEventError, DuplicateEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import { appendResultOf, findRetriedRun, storedEventOf, type RetryLookup } from '../append-results.js';
import { checkExpectedVersion, checkFencingTerm, type PreparedEvent } from '../append-rules.js';
import type { AppendResult, ExpectedVersion } from '../engine.js';
import { MetaTexts } from './meta-texts.js';
import { eventFromRow } from './row-mapping.js';
import { sqliteCode } from './sqlite-errors.js';
import type { Statements } from './statements.js';

type Row = unknown[];

export type SqliteAppend = (
  stream: string,
  batch: readonly PreparedEvent[],
  expected: ExpectedVersion,
  fencingTerm: number | undefined,
) => AppendResult;

/** The append, run in an immediate transaction; throws the driver's errors as they are. */
export function sqliteAppend(db: Database.Database, statements: Statements): SqliteAppend {
  const retries = retryLookup(statements);
  const inTransaction = db.transaction(
    (
      stream: string,
      batch: readonly PreparedEvent[],
      expected: ExpectedVersion,
      fencingTerm: number | undefined,
    ) => {
      // A retry answers before the version check: the stream has moved on by the retried batch itself.
      const retried = findRetriedRun(stream, batch, retries);
      if (retried)
        return appendResultOf(
          stream,
          retried.map((row) => eventFromRow(row, stream)),
        );
      const storedTerm =
        fencingTerm === undefined ? 0 : ((statements.fencingTerm.get(stream) as number | undefined) ?? 0);
      checkFencingTerm(stream, fencingTerm, storedTerm);
      const current = currentVersion(statements, stream);
      checkExpectedVersion(stream, expected, current);
      if (batch.length === 0) {
        // A new leader fences a stream before reading it: the higher term is kept with no event,
        // in a row at the stream's version (0 for a stream with none, which lists leave out).
        if (fencingTerm !== undefined && fencingTerm > storedTerm) {
          statements.upsertFencedStream.run(stream, current, fencingTerm);
        }
        return { stream, events: [], version: current };
      }
      const events = writeBatch(statements, stream, current, batch);
      if (fencingTerm === undefined) statements.upsertStream.run(stream, current + batch.length);
      else statements.upsertFencedStream.run(stream, current + batch.length, fencingTerm);
      return appendResultOf(stream, events);
    },
  );
  return (stream, batch, expected, fencingTerm) =>
    inTransaction.immediate(stream, batch, expected, fencingTerm);
}

function retryLookup(statements: Statements): RetryLookup<Row> {
  return {
    locate(id) {
      const stored = statements.eventById.get(id) as [unknown, unknown] | undefined;
      return stored && { stream: stored[0], version: stored[1] };
    },
    run: (stream, fromVersion, count) =>
      statements.readStream.all(stream, fromVersion, fromVersion + count - 1, count) as Row[],
    matches: (row, event) => row[1] === event.id && row[3] === event.name && row[4] === event.dataJson,
  };
}

function writeBatch(
  statements: Statements,
  stream: string,
  current: number,
  batch: readonly PreparedEvent[],
): StoredEvent[] {
  const metas = new MetaTexts();
  return batch.map((event, index): StoredEvent => {
    const version = current + index + 1;
    const position = insertEvent(statements, stream, version, event);
    return storedEventOf(event, stream, version, position, metas.parse(event.metaJson));
  });
}

function insertEvent(statements: Statements, stream: string, version: number, event: PreparedEvent): number {
  try {
    const { lastInsertRowid } = statements.insertEvent.run(
      event.id,
      stream,
      version,
      event.name,
      event.dataJson,
      event.metaJson,
      event.at,
    );
    return Number(lastInsertRowid);
  } catch (error) {
    if (sqliteCode(error) !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
    if (String((error as Error).message).includes('events.id')) {
      throw new DuplicateEventError(event.id, stream);
    }
    throw new CorruptEventError(
      { stream, version },
      'version is already stored, but the streams table says the stream is below it',
      { cause: error },
    );
  }
}

export function currentVersion(statements: Statements, stream: string): number {
  const version = statements.streamVersion.get(stream);
  if (version === undefined) return 0;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new CorruptEventError({ stream }, `the stream's version is ${String(version)}, not a whole number`);
  }
  return version;
}
