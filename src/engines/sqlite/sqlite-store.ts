/**
 * The SQLite engine: the embedded default, one file that every process of one machine can share
 * (or `':memory:'`, private to one store). It supplies its storage primitives to the shared facade
 * (`store-facade.ts`), which does every check the engines share.
 *
 * Guarantees, on top of the engine interface's:
 * - An append is one `BEGIN IMMEDIATE` transaction (`sqlite-appends.ts`): all of the batch or
 *   nothing, serialised with every other writer of the file, in this process or another.
 * - Because writers are serialised and a position is assigned under the write lock, positions
 *   commit in increasing order: when a reader sees position p, every event below p has already
 *   committed, so a reader following by position never skips an event that commits later.
 * - Subscriptions follow by position (`subscription-hub.ts`), woken by this store's own appends
 *   and, while someone subscribes, by a watch on the file's write-ahead log confirmed by the file's
 *   change counter, or a poll of that counter where the file cannot be watched (`change-watcher.ts`).
 * - A lease call is one `BEGIN IMMEDIATE` transaction on the file's host clock (`sqlite-leases.ts`).
 * - A snapshot save is one statement, atomic on its own (`snapshots.ts`).
 * - Waiting for the write lock never blocks the event loop (`write-turns.ts`). An append, lease
 *   call or snapshot save that finds the lock free runs synchronously within the call, and awaits
 *   nothing between its checks and its answer. One that finds it held waits on a timer, up to the
 *   busy timeout, then runs whole, checks included, in one transaction: what it checks is still
 *   what it writes on. One store's writes land in the order they were called. A writer that has
 *   waited a while gets the next turn (`waiting-mark.ts`), so no process starves another.
 * - The driver is synchronous otherwise: a read blocks this thread while SQLite works (in WAL mode
 *   readers do not wait for writers), and so does the commit's disk write (`synchronous`).
 * - Opening (`connection.ts`: WAL switch, schema migration) is synchronous, waiting in SQLite's
 *   busy handler up to the busy timeout; it is short and happens once per store.
 */
import type Database from 'better-sqlite3';
import type { EventStore } from '../engine.js';
import type { Answer } from '../lifecycle.js';
import { resolveStoreOptions } from '../options.js';
import { engineStore, type EngineStorage } from '../store-facade.js';
import { SubscriptionHub } from '../subscription-hub.js';
import { refuseToWatch, watchForChanges } from './change-watcher.js';
import { openConnection, type SynchronousMode } from './connection.js';
import { sqliteAppend } from './sqlite-appends.js';
import { describeFile, storeErrorFrom } from './sqlite-errors.js';
import { sqliteLeases, type SqliteLeases } from './sqlite-leases.js';
import {
  resolveSqliteOptions,
  type ResolvedSqliteOptions,
  type SqliteStoreOptions,
} from './sqlite-options.js';
import { sqliteReads, type SqliteReads } from './sqlite-reads.js';
import { sqliteSnapshots, type SqliteSnapshots } from './snapshots.js';
import { prepareStatements } from './statements.js';
import { NO_MARK, waitingMark } from './waiting-mark.js';
import { writeTurns } from './write-turns.js';

export type { SynchronousMode, SqliteStoreOptions };
export { DEFAULT_BUSY_TIMEOUT_MS } from './sqlite-options.js';

export function sqliteStore(options: SqliteStoreOptions): EventStore {
  const sqlite = resolveSqliteOptions(options);
  const storeOptions = resolveStoreOptions(options);
  const db = openConnection(sqlite);
  const store = engineStore({
    engine: 'sqlite',
    title: `the SQLite store ${describeFile(sqlite.file)}`,
    options: storeOptions,
    storage: sqliteStorage(db, sqlite),
  });
  const { ready: _ready, ...face } = store;
  return face;
}

interface Parts {
  readonly append: ReturnType<typeof sqliteAppend>;
  readonly reads: SqliteReads;
  readonly snapshots: SqliteSnapshots;
  readonly leases: SqliteLeases;
}

function prepareParts(db: Database.Database, file: string): Parts {
  try {
    const statements = prepareStatements(db);
    return {
      append: sqliteAppend(db, statements),
      reads: sqliteReads(db, statements),
      snapshots: sqliteSnapshots(db),
      leases: sqliteLeases(db),
    };
  } catch (error) {
    db.close();
    throw storeErrorFrom(error, file);
  }
}

function sqliteStorage(db: Database.Database, options: ResolvedSqliteOptions): EngineStorage {
  const { file, pollIntervalMs, watchFile, busyTimeoutMs } = options;
  const { append, reads, snapshots, leases } = prepareParts(db, file);
  // Only a file that other connections may write has turns worth being fair about.
  const shared = !db.memory && !options.readonly;
  const turns = writeTurns(db, busyTimeoutMs, shared ? waitingMark(file) : NO_MARK);
  /** Runs one call against the database, turning every driver error into a typed one. */
  function use<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeErrorFrom(error, file);
    }
  }
  /** Runs one write transaction when it gets the write lock (`write-turns.ts`), errors typed. */
  function write<T>(transaction: () => T): Answer<T> {
    const answer = use(() => turns.run(transaction));
    if (!(answer instanceof Promise)) return answer;
    return answer.catch((error: unknown) => {
      throw storeErrorFrom(error, file);
    });
  }
  const hub = new SubscriptionHub({
    readAfter: async (position, limit) => use(() => reads.readFollowing(position, limit)),
    lastPosition: async () => use(() => reads.lastPosition()),
    onActiveChange: (active) => watcher.setActive(active),
  });
  const watcher = watchForChanges({
    db,
    file,
    pollIntervalMs,
    ...(watchFile ? {} : { watchDirectory: refuseToWatch }),
    onChange: () => hub.wake(),
    onError: (error) => hub.reportError(storeErrorFrom(error, file)),
  });
  return {
    append(stream, batch, expected, fencingTerm) {
      const wake = <T>(result: T): T => {
        if (hub.active) queueMicrotask(() => hub.wake());
        return result;
      };
      const answer = write(() => append(stream, batch, expected, fencingTerm));
      return answer instanceof Promise ? answer.then(wake) : wake(answer);
    },
    readStream: (stream, range) => use(() => reads.readStream(stream, range)),
    readAll: (resolved) => use(() => reads.readAll(resolved)),
    streamVersion: (stream) => use(() => reads.streamVersion(stream)),
    listStreams: (resolved) => use(() => reads.listStreams(resolved)),
    saveSnapshot: (prepared, at) => write(() => snapshots.save(prepared, at)),
    readSnapshot: (stream, key) => use(() => snapshots.read(stream, key)),
    acquireLease: (name, holder, ttlMs) => write(() => leases.acquireLease(name, holder, ttlMs)),
    takeOverLease: (name, holder, ttlMs, term) =>
      write(() => leases.takeOverLease(name, holder, ttlMs, term)),
    renewLeases: (holder, ttlMs) => write(() => leases.renewLeases(holder, ttlMs)),
    releaseLease: (name, holder) => write(() => leases.releaseLease(name, holder)),
    releaseHolder: (holder) => write(() => leases.releaseHolder(holder)),
    readLease: (name) => use(() => leases.readLease(name)),
    subscribe: (listener, resolved) => hub.subscribe(listener, resolved),
    async close() {
      watcher.stop();
      turns.stop();
      await hub.closeAll();
      try {
        db.close();
      } catch (error) {
        throw storeErrorFrom(error, file);
      }
    },
  };
}
