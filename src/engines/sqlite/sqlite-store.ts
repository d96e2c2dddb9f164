/**
 * The SQLite engine: the embedded default, one file that every process of one machine can share
 * (or `':memory:'`, private to one store).
 *
 * Guarantees, on top of the engine interface's:
 * - An append is one `BEGIN IMMEDIATE` transaction: it takes the file's single write lock, reads
 *   the stream's version, checks it, writes the batch and the new version, and commits, or leaves
 *   nothing behind. SQLite lets one writer at a time hold that lock, in this process or another.
 * - Because writers are serialised and a position is assigned under the write lock, positions
 *   commit in increasing order: when a reader sees position p, every event below p has already
 *   committed, so a reader following by position never skips an event that commits later.
 * - `readAll` sees one snapshot (WAL) even when it takes several queries; `readStream` reads in
 *   pages, which need no shared snapshot because a stored version never changes.
 * - The driver is synchronous: a call blocks this thread while SQLite works, including while it
 *   waits (up to the busy timeout) for another process's write to finish.
 */
import type Database from 'better-sqlite3';
import { CorruptEventError, DuplicateEventError, StoreUnavailableError, UsageError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import {
  checkExpectedVersion,
  checkFencingTerm,
  prepareEvents,
  validateExpectedVersion,
  validateFencingTerm,
  type PreparedEvent,
} from '../append-rules.js';
import type { AppendResult, EventStore, ExpectedVersion, StoreOptions, StreamInfo } from '../engine.js';
import {
  prefixUpperBound,
  requireStreamArgument,
  resolveListStreams,
  resolveReadAll,
  resolveReadStream,
  resolveStoreOptions,
} from '../options.js';
import { prepareSnapshot } from '../snapshot-rules.js';
import { SubscriptionHub } from '../subscription-hub.js';
import { DEFAULT_POLL_INTERVAL_MS, watchForChanges } from './change-watcher.js';
import { openConnection, type SynchronousMode } from './connection.js';
import { sqliteSnapshots, type SqliteSnapshots } from './snapshots.js';
import { EVENT_COLUMNS, EVENT_COLUMNS_WITH_STREAM, eventFromRow } from './row-mapping.js';
import { describeFile, sqliteCode, storeErrorFrom } from './sqlite-errors.js';
import { MetaTexts } from './meta-texts.js';
import { streamPages } from './stream-pages.js';
import { checkNextVersion } from '../dense-versions.js';

export type { SynchronousMode };

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
   * `StoreUnavailableError` (default 5000 ms).
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
   * How often a subscribed store checks the file for commits made by other processes, in
   * milliseconds (default 10). Appends made through this store are notified at once.
   */
  pollIntervalMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** How many rows `readStream` fetches per query. */
const READ_PAGE_SIZE = 1024;
/** The fewest rows worth a page of joined texts, and the size of a read's first page. */
const JOINED_PAGE_MIN = 256;

type Row = unknown[];

export function sqliteStore(options: SqliteStoreOptions): EventStore {
  const {
    file,
    readonly = false,
    busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
    synchronous = 'full',
    pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
  } = options ?? {};
  if (typeof file !== 'string' || file === '') {
    throw new UsageError(`sqliteStore needs { file }: a file path or ':memory:'`);
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new UsageError(
      `busyTimeoutMs must be a whole number of milliseconds >= 0, got ${String(busyTimeoutMs)}`,
    );
  }
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new UsageError(`synchronous must be 'full' or 'normal', got ${String(synchronous)}`);
  }
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new UsageError(
      `pollIntervalMs must be a whole number of milliseconds >= 1, got ${String(pollIntervalMs)}`,
    );
  }
  const { maxEventBytes, maxSnapshotBytes, now } = resolveStoreOptions(options);
  const db = openConnection({ file, readonly: readonly === true, busyTimeoutMs, synchronous });
  let statements: ReturnType<typeof prepareStatements>;
  let snapshots: SqliteSnapshots;
  try {
    statements = prepareStatements(db);
    snapshots = sqliteSnapshots(db);
  } catch (error) {
    db.close();
    throw storeErrorFrom(error, file);
  }
  let closed = false;

  /** Runs one call against the open database, turning every driver error into a typed one. */
  function use<T>(work: () => T): T {
    if (closed) throw new StoreUnavailableError(`the SQLite store ${describeFile(file)} is closed`);
    try {
      return work();
    } catch (error) {
      throw storeErrorFrom(error, file);
    }
  }

  /**
   * A batch whose first id is stored is either a retry — the same ids, names and data as a run of
   * consecutive stored events of the same stream — or a mistake. A retry answers as the first
   * append did: the stored events, their versions and positions, and the version after them, even
   * if the stream has moved on since (`streamVersion` gives the current one).
   */
  function findRetriedBatch(stream: string, batch: readonly PreparedEvent[]): StoredEvent[] | undefined {
    const first = batch[0];
    if (!first) return undefined;
    const stored = statements.eventById.get(first.id) as [unknown, unknown] | undefined;
    if (!stored) return undefined;
    const [storedStream, storedVersion] = stored;
    if (storedStream !== stream || typeof storedVersion !== 'number') {
      throw new DuplicateEventError(first.id, stream);
    }
    const rows = statements.readStream.all(
      stream,
      storedVersion,
      storedVersion + batch.length - 1,
      batch.length,
    ) as Row[];
    const isRetry =
      rows.length === batch.length &&
      rows.every(
        (row, index) =>
          row[1] === batch[index]?.id && row[3] === batch[index]?.name && row[4] === batch[index]?.dataJson,
      );
    if (!isRetry) throw new DuplicateEventError(first.id, stream);
    return rows.map((row) => eventFromRow(row, stream));
  }

  function insertEvent(stream: string, version: number, event: PreparedEvent): number {
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

  const appendInTransaction = db.transaction(
    (
      stream: string,
      batch: readonly PreparedEvent[],
      expected: ExpectedVersion,
      fencingTerm: number | undefined,
    ) => {
      // A retry answers before the version check: the stream has moved on by the retried batch itself.
      const retried = findRetriedBatch(stream, batch);
      if (retried) return appendResult(stream, retried);
      if (fencingTerm !== undefined) {
        checkFencingTerm(
          stream,
          fencingTerm,
          (statements.fencingTerm.get(stream) as number | undefined) ?? 0,
        );
      }
      const current = currentVersion(stream);
      checkExpectedVersion(stream, expected, current);
      if (batch.length === 0) return { stream, events: [], version: current };
      // The events returned are parsed from the JSON just written, so that they are what a read
      // will return: new objects, JSON values only.
      const metas = new MetaTexts();
      const events = batch.map((event, index): StoredEvent => {
        const version = current + index + 1;
        const position = insertEvent(stream, version, event);
        return {
          id: event.id,
          stream,
          name: event.name,
          data: JSON.parse(event.dataJson) as unknown,
          version,
          position,
          at: event.at,
          meta: metas.parse(event.metaJson) as StoredEvent['meta'],
        };
      });
      if (fencingTerm === undefined) statements.upsertStream.run(stream, current + batch.length);
      else statements.upsertFencedStream.run(stream, current + batch.length, fencingTerm);
      return appendResult(stream, events);
    },
  );

  function currentVersion(stream: string): number {
    const version = statements.streamVersion.get(stream);
    if (version === undefined) return 0;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
      throw new CorruptEventError(
        { stream },
        `the stream's version is ${String(version)}, not a whole number`,
      );
    }
    return version;
  }

  const pages = streamPages(db);

  /**
   * Reads in pages so that each page's raw rows die young instead of all of them outliving the
   * mapping, which keeps the garbage collector's share of a long read small. Pages need no shared
   * snapshot: stored versions never change, so each page continues the same history.
   *
   * A page of joined texts (`streamPages`) costs less per row but has a fixed cost of several
   * microseconds, and most reads are short (an actor catching up on a few events): so a read's
   * first rows, and any page shorter than `JOINED_PAGE_MIN`, are read row by row, and only the
   * pages of a read that has proved long are joined. A joined page that `streamPages` cannot vouch
   * for is read row by row too, which then names the damaged row if there is one.
   */
  function readRange(stream: string, fromVersion: number, toVersion: number, limit: number): StoredEvent[] {
    const events: StoredEvent[] = [];
    let next = fromVersion;
    while (events.length < limit) {
      const first = events.length === 0;
      const pageSize = Math.min(first ? JOINED_PAGE_MIN : READ_PAGE_SIZE, limit - events.length);
      const joined = !first && pageSize >= JOINED_PAGE_MIN;
      const read =
        (joined ? pages.read(stream, next, toVersion, pageSize, events) : undefined) ??
        readRows(stream, next, toVersion, pageSize, events);
      next += read;
      if (read < pageSize) break;
    }
    return events;
  }

  function readRows(
    stream: string,
    fromVersion: number,
    toVersion: number,
    limit: number,
    events: StoredEvent[],
  ): number {
    const rows = statements.readStream.all(stream, fromVersion, toVersion, limit) as Row[];
    let next = fromVersion;
    for (const row of rows) {
      const event = eventFromRow(row, stream);
      checkNextVersion(stream, next, event.version);
      events.push(event);
      next++;
    }
    return rows.length;
  }

  // Several queries must see one snapshot, or a commit between them could be half seen.
  const readAllByNames = db.transaction((names: readonly string[], after: number, limit: number): Row[] => {
    const rows = names.flatMap((name) => statements.readAllByName.all(name, after, limit) as Row[]);
    return rows.sort((left, right) => (left[0] as number) - (right[0] as number)).slice(0, limit);
  });

  const hub = new SubscriptionHub({
    readAfter: async (position, limit) =>
      use(() => (statements.readAll.all(position, limit) as Row[]).map((row) => eventFromRow(row))),
    lastPosition: async () => use(() => statements.lastPosition.get() as number),
    onActiveChange: (active) => watcher.setActive(active),
  });
  const watcher = watchForChanges(
    db,
    pollIntervalMs,
    () => hub.wake(),
    (error) => hub.reportError(storeErrorFrom(error, file)),
  );

  return {
    engine: 'sqlite',
    limits: Object.freeze({ maxEventBytes, maxSnapshotBytes }),

    async appendToStream(stream, events, appendOptions): Promise<AppendResult> {
      return use(() => {
        const expected = appendOptions?.expectedVersion === undefined ? 'any' : appendOptions.expectedVersion;
        validateExpectedVersion(expected);
        const fencingTerm = appendOptions?.fencingTerm;
        validateFencingTerm(fencingTerm);
        const batch = prepareEvents(stream, events, maxEventBytes, now);
        const result = appendInTransaction.immediate(stream, batch, expected, fencingTerm);
        if (hub.active) queueMicrotask(() => hub.wake());
        return result;
      });
    },

    async readStream(stream, readOptions) {
      return use(() => {
        requireStreamArgument(stream);
        const { fromVersion, toVersion, limit } = resolveReadStream(readOptions);
        if (limit === 0 || toVersion < fromVersion) return [];
        return readRange(stream, fromVersion, toVersion, limit);
      });
    },

    async readAll(readOptions) {
      return use(() => {
        const { after, limit, names } = resolveReadAll(readOptions);
        if (limit === 0 || names?.length === 0) return [];
        let rows: Row[];
        if (names === undefined) rows = statements.readAll.all(after, limit) as Row[];
        else if (names.length === 1) rows = statements.readAllByName.all(names[0], after, limit) as Row[];
        else rows = readAllByNames(names, after, limit);
        return rows.map((row) => eventFromRow(row));
      });
    },

    async streamVersion(stream) {
      return use(() => {
        requireStreamArgument(stream);
        return currentVersion(stream);
      });
    },

    async listStreams(listOptions) {
      return use(() => {
        const { after, limit, prefix } = resolveListStreams(listOptions);
        if (limit === 0) return [];
        const upperBound = prefix === '' ? undefined : prefixUpperBound(prefix);
        const rows = (
          upperBound === undefined
            ? statements.listStreams.all(after ?? '', prefix, limit)
            : statements.listStreamsBelow.all(after ?? '', prefix, upperBound, limit)
        ) as Row[];
        return rows.map(([stream, version]): StreamInfo => {
          if (typeof stream !== 'string' || typeof version !== 'number' || !Number.isSafeInteger(version)) {
            throw new CorruptEventError(
              typeof stream === 'string' ? { stream } : {},
              `the streams table holds ${JSON.stringify([stream, version])}, not a stream id and a version`,
            );
          }
          return { stream, version };
        });
      });
    },

    async saveSnapshot(snapshot) {
      use(() => snapshots.save(prepareSnapshot(snapshot, maxSnapshotBytes), now().toISOString()));
    },

    async readSnapshot(stream, key) {
      return use(() => {
        requireStreamArgument(stream);
        return snapshots.read(stream, key);
      });
    },

    async subscribe(listener, subscribeOptions) {
      use(() => undefined);
      return hub.subscribe(listener, subscribeOptions);
    },

    async close() {
      // Closing twice is harmless: a shutdown path may not know whether the store was closed.
      if (closed) return;
      closed = true;
      watcher.stop();
      await hub.closeAll();
      try {
        db.close();
      } catch (error) {
        throw storeErrorFrom(error, file);
      }
    },
  };
}

function appendResult(stream: string, events: StoredEvent[]): AppendResult {
  // A retry answers with the version after the original batch, as the original append did, even
  // if the stream has moved on since; streamVersion() gives the current one.
  return { stream, events, version: events[events.length - 1]?.version ?? 0 };
}

/** Every statement the store runs, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    streamVersion: db.prepare('SELECT version FROM streams WHERE stream = ?').pluck(),
    lastPosition: db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
    eventById: db.prepare('SELECT stream, version FROM events WHERE id = ?').raw(),
    insertEvent: db.prepare(
      'INSERT INTO events (id, stream, version, name, data, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    fencingTerm: db.prepare('SELECT fencing_term FROM streams WHERE stream = ?').pluck(),
    upsertFencedStream: db.prepare(
      `INSERT INTO streams (stream, version, fencing_term) VALUES (?, ?, ?) ON CONFLICT (stream)
       DO UPDATE SET version = excluded.version, fencing_term = max(fencing_term, excluded.fencing_term)`,
    ),
    upsertStream: db.prepare(
      'INSERT INTO streams (stream, version) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET version = excluded.version',
    ),
    readStream: db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND version >= ? AND version <= ? ORDER BY version LIMIT ?`,
      )
      .raw(),
    readAll: db
      .prepare(`SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
      .raw(),
    readAllByName: db
      .prepare(
        `SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM events WHERE name = ? AND position > ? ORDER BY position LIMIT ?`,
      )
      .raw(),
    listStreams: db
      .prepare('SELECT stream, version FROM streams WHERE stream > ? AND stream >= ? ORDER BY stream LIMIT ?')
      .raw(),
    listStreamsBelow: db
      .prepare(
        'SELECT stream, version FROM streams WHERE stream > ? AND stream >= ? AND stream < ? ORDER BY stream LIMIT ?',
      )
      .raw(),
  };
}
