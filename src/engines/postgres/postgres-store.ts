/**
 * The PostgreSQL engine: the store that many processes on many machines share. Each store lives
 * in one schema of one database (default `omniscient`), created and migrated on first use.
 *
 * It supplies its storage primitives to the shared facade (`store-facade.ts`), which does every
 * check the engines share and runs the schema's start-up (`ready`) before the first call.
 *
 * Guarantees, on top of the engine interface's:
 * - An append is one call of a server-side function, in one transaction: its expected-version
 *   check, fencing check, retry detection and writes cannot be separated by another writer, and a
 *   failure leaves nothing behind. The appends a process makes at the same time are grouped into
 *   one such call (`group-commit.ts`), each still judged and answered on its own; a group of one
 *   append calls a leaner function with the same checks (`append-one-function.ts`).
 * - Positions commit in increasing order (`append-function.ts` gives the reasoning), so a reader
 *   following `readAll({ after })` never skips an event, and notifications arrive in position order.
 * - Subscriptions share one LISTEN connection per store and survive its loss (`notifications.ts`).
 * - Data, meta and snapshot states keep the JSON text written (`json` columns, read as text).
 * - Stream ids, names and every value are bind parameters; the schema name is validated and quoted.
 * - Lost connections and server restarts are retried for up to `connectionRetryMs`; past that, or
 *   for a failure that will not pass (a wrong password, a refused connection to a server never
 *   reached), calls reject with `StoreUnavailableError`.
 *
 * - A lease call is one statement judged on the server's clock (`lease-functions.ts`, `leases.ts`).
 * - Event times are `timestamptz` and data `json`, so SQL can query the tables by time or content.
 *
 * What PostgreSQL cannot store is refused up front with `InvalidEventError`: an event id, snapshot
 * key or fingerprint holding NUL (PostgreSQL text cannot), and an event time outside the years 1
 * to 9999 (`timestamptz` has no year 0, and ISO-8601 text beyond 9999 would not read back the same).
 */
import { InvalidEventError } from '../../errors.js';
import { appendResultOf, storedEventOf } from '../append-results.js';
import type { PreparedEvent } from '../append-rules.js';
import type { AppendResult, EventStore, StoreOptions } from '../engine.js';
import { readOptions, resolveConnectionRetryMs, resolveStoreOptions } from '../options.js';
import { engineStore, type EngineStorage } from '../store-facade.js';
import { decodeAnswers, decodeOne, encodeGroup, encodeOne } from './append-batch.js';
import { appendCallText, POSITION_LOCK_HELD_STATE } from './append-function.js';
import { appendOneCallText } from './append-one-function.js';
import { Database, DEFAULT_CONNECTION_RETRY_MS, type PostgresConnection } from './connection.js';
import { GroupCommit, type AppendAnswer } from './group-commit.js';
import { loadPgDriver } from './driver.js';
import { DEFAULT_SCHEMA, schemaNames, type SchemaNames } from './identifiers.js';
import { postgresLeases } from './leases.js';
import { NotificationFeed } from './notifications.js';
import { postgresReads, type PostgresReads } from './reads.js';
import { migrateSchema } from './schema.js';
import { postgresSnapshots } from './snapshots.js';

export type { PostgresConnection };

export interface PostgresStoreOptions extends StoreOptions {
  /**
   * The schema that holds the store's tables (default `'omniscient'`): lower-case letters, digits
   * and `_`. Stores in different schemas of one database are independent.
   */
  schema?: string;
  /**
   * How long a call keeps retrying while the server cannot be reached or is restarting, in
   * milliseconds, before it rejects with `StoreUnavailableError` (default 10 000; 0 fails at once).
   * Retrying an append is safe: its events keep their ids, so it is stored once. What will not pass
   * by waiting is never retried: a wrong password, an unknown user or database, and a refused
   * connection before the store has ever reached its server (a wrong host or port).
   */
  connectionRetryMs?: number;
}

export interface PostgresEventStore extends EventStore {
  readonly engine: 'postgres';
  /** The schema the store works in. */
  readonly schema: string;
  /**
   * Connects, checks the database and brings the schema up to date; every other call does it
   * first anyway. Await it at start-up to fail fast: a wrong host or port (the connection is
   * refused), password, user or database rejects at once with `StoreUnavailableError`, not after
   * `connectionRetryMs`. A failed `ready()` may be called again (to wait for a server that starts
   * alongside the program, for instance).
   */
  ready(): Promise<void>;
}

export function postgresStore(
  connection: PostgresConnection,
  options?: PostgresStoreOptions | null,
): PostgresEventStore {
  // First, and outside the option checks: a missing driver is the error to report, as it is.
  const driver = loadPgDriver();
  const storeOptions = resolveStoreOptions(options);
  // `null` means "no options", as it does for the other engines.
  const { names, retryMs } = readOptions('the postgresStore options', () => ({
    names: schemaNames(options?.schema ?? DEFAULT_SCHEMA),
    retryMs: resolveConnectionRetryMs(options?.connectionRetryMs, DEFAULT_CONNECTION_RETRY_MS),
  }));
  const db = readOptions('the postgresStore connection', () => new Database(driver, connection, retryMs));
  const store = engineStore({
    engine: 'postgres',
    title: `the PostgreSQL store at ${db.target}`,
    options: storeOptions,
    storage: postgresStorage(db, names),
    prepare: () => migrateSchema(db, names),
    refuseUnstorable,
  });
  return { ...store, engine: 'postgres', schema: names.schema };
}

function postgresStorage(db: Database, names: SchemaNames): EngineStorage {
  const reads = postgresReads(db, names);
  const snapshots = postgresSnapshots(db, names);
  const leases = postgresLeases(db, names);
  const appendStatement = { name: `${names.statementPrefix}.append`, text: appendCallText(names) };
  const appendOneStatement = { name: `${names.statementPrefix}.append1`, text: appendOneCallText(names) };
  const groupCommit = new GroupCommit({
    send: async (group, holdsPositionLock, pipelining) => {
      const onNotice = (notice: { readonly code?: string }) => {
        if (notice.code === POSITION_LOCK_HELD_STATE) holdsPositionLock();
      };
      // A group of one append (one writer, or a quiet moment) takes the lean function.
      const [single] = group;
      if (group.length === 1 && single !== undefined) {
        const statement = { ...appendOneStatement, values: encodeOne(single, pipelining) };
        const [row] = await db.queryNoticing(statement, onNotice, 'append to');
        return [decodeOne(row)];
      }
      const statement = { ...appendStatement, values: encodeGroup(group) };
      const [row] = await db.queryNoticing(statement, onNotice, 'append to');
      return decodeAnswers(row?.[0]);
    },
    currentVersion: (stream) => reads.streamVersion(stream),
  });
  const feed = new NotificationFeed({
    db,
    channel: names.channel,
    schema: names.schema,
    readAfter: (position, limit) => reads.readFollowing(position, limit),
    lastPosition: () => reads.lastPosition(),
  });
  return {
    async append(stream, batch, expected, fencingTerm) {
      const answer = await groupCommit.append({ stream, events: batch, expected, fencingTerm });
      return appendResult(reads, stream, batch, answer);
    },
    readStream: (stream, range) => reads.readStream(stream, range),
    readAll: (resolved) => reads.readAll(resolved),
    streamVersion: (stream) => reads.streamVersion(stream),
    listStreams: (resolved) => reads.listStreams(resolved),
    saveSnapshot: (prepared, at) => snapshots.save(prepared, at),
    readSnapshot: (stream, key) => snapshots.read(stream, key),
    acquireLease: (name, holder, ttlMs) => leases.acquireLease(name, holder, ttlMs),
    takeOverLease: (name, holder, ttlMs, term) => leases.takeOverLease(name, holder, ttlMs, term),
    renewLeases: (holder, ttlMs) => leases.renewLeases(holder, ttlMs),
    releaseLease: (name, holder) => leases.releaseLease(name, holder),
    releaseHolder: (holder) => leases.releaseHolder(holder),
    readLease: (name) => leases.readLease(name),
    subscribe: (listener, resolved) => feed.subscribe(listener, resolved),
    async close() {
      // Appends already accepted are answered before the connections go.
      await groupCommit.idle();
      await feed.close();
      await db.end();
    },
  };
}

async function appendResult(
  reads: PostgresReads,
  stream: string,
  batch: readonly PreparedEvent[],
  answer: AppendAnswer,
): Promise<AppendResult> {
  if (answer.kind === 'retried') {
    // A retry answers as the first append did: the events as stored, which never change.
    const count = batch.length;
    const events = await reads.readStream(stream, {
      fromVersion: answer.firstVersion,
      toVersion: answer.firstVersion + count - 1,
      limit: count,
    });
    return appendResultOf(stream, events);
  }
  const firstVersion = answer.version - batch.length + 1;
  const firstPosition = answer.firstPosition ?? 0;
  const events = batch.map((event, index) =>
    storedEventOf(event, stream, firstVersion + index, firstPosition + index, JSON.parse(event.metaJson)),
  );
  return { stream, events, version: answer.version };
}

/** Refuses, before anything is sent, what PostgreSQL would refuse or change. */
function refuseUnstorable(batch: readonly PreparedEvent[]): void {
  batch.forEach((event, index) => {
    if (event.id.includes('\u0000')) {
      throw new InvalidEventError(
        `events[${index}].id`,
        'holds a NUL character, which PostgreSQL cannot store',
      );
    }
    // toISOString writes years 0 to 9999 as four digits, and others with a sign.
    if (event.at.startsWith('+') || event.at.startsWith('-') || event.at.startsWith('0000')) {
      throw new InvalidEventError(`events[${index}].at`, `is ${event.at}, outside the years 1 to 9999`);
    }
  });
}
