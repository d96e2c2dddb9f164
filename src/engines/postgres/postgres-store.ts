/**
 * The PostgreSQL engine: the store that many processes on many machines share. Each store lives
 * in one schema of one database (default `omniscient`), created and migrated on first use.
 *
 * Guarantees, on top of the engine interface's:
 * - An append is one call of a server-side function, in one transaction: its expected-version
 *   check, fencing check, retry detection and writes cannot be separated by another writer, and a
 *   failure leaves nothing behind. The appends a process makes at the same time are grouped into
 *   one such call (`group-commit.ts`), each still judged and answered on its own.
 * - Positions commit in increasing order (`append-function.ts` gives the reasoning), so a reader
 *   following `readAll({ after })` never skips an event, and notifications arrive in position order.
 * - Subscriptions share one LISTEN connection per store and survive its loss (`notifications.ts`).
 * - Data, meta and snapshot states keep the JSON text written (`json` columns, read as text).
 * - Stream ids, names and every value are bind parameters; the schema name is validated and quoted.
 * - Lost connections and server restarts are retried for up to `connectionRetryMs`; past that, or
 *   for a failure that will not pass (a wrong password), calls reject with `StoreUnavailableError`.
 *
 * - Event times are `timestamptz` and data `json`, so SQL can query the tables by time or content.
 *
 * What PostgreSQL cannot store is refused up front with `InvalidEventError`: an event id, snapshot
 * key or fingerprint holding NUL (PostgreSQL text cannot), and an event time outside the years 1
 * to 9999 (`timestamptz` has no year 0, and ISO-8601 text beyond 9999 would not read back the same).
 */
import { InvalidEventError, StoreUnavailableError, UsageError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import {
  prepareEvents,
  validateExpectedVersion,
  validateFencingTerm,
  type PreparedEvent,
} from '../append-rules.js';
import type { AppendResult, EventStore, StoreOptions } from '../engine.js';
import {
  requireStreamArgument,
  resolveListStreams,
  resolveReadAll,
  resolveReadStream,
  resolveStoreOptions,
} from '../options.js';
import { prepareSnapshot } from '../snapshot-rules.js';
import { decodeAnswers, encodeGroup } from './append-batch.js';
import { appendCallText } from './append-function.js';
import { Database, DEFAULT_CONNECTION_RETRY_MS, type PostgresConnection } from './connection.js';
import { GroupCommit, type AppendAnswer } from './group-commit.js';
import { DEFAULT_SCHEMA, schemaNames } from './identifiers.js';
import { NotificationFeed } from './notifications.js';
import { postgresReads } from './reads.js';
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
   * Retrying an append is safe: its events keep their ids, so it is stored once.
   */
  connectionRetryMs?: number;
}

export interface PostgresEventStore extends EventStore {
  readonly engine: 'postgres';
  /** The schema the store works in. */
  readonly schema: string;
  /**
   * Connects, checks the database and brings the schema up to date; every other call does it
   * first anyway. Await it at start-up to fail fast on a wrong address or password.
   */
  ready(): Promise<void>;
}

export function postgresStore(
  connection: PostgresConnection,
  options: PostgresStoreOptions = {},
): PostgresEventStore {
  const { maxEventBytes, maxSnapshotBytes, now } = resolveStoreOptions(options);
  const names = schemaNames(options.schema ?? DEFAULT_SCHEMA);
  const retryMs = options.connectionRetryMs ?? DEFAULT_CONNECTION_RETRY_MS;
  if (!Number.isSafeInteger(retryMs) || retryMs < 0) {
    throw new UsageError(`connectionRetryMs must be a whole number >= 0, got ${String(retryMs)}`);
  }
  const db = new Database(connection, retryMs);
  const reads = postgresReads(db, names);
  const snapshots = postgresSnapshots(db, names);
  const appendStatement = { name: `${names.statementPrefix}.append`, text: appendCallText(names) };
  const groupCommit = new GroupCommit({
    send: async (group) => {
      const [row] = await db.query({ ...appendStatement, values: encodeGroup(group) }, 'append to');
      return decodeAnswers(row?.[0]);
    },
    currentVersion: (stream) => reads.streamVersion(stream),
  });
  const feed = new NotificationFeed({
    db,
    channel: names.channel,
    schema: names.schema,
    readAfter: (position, limit) => reads.readAll({ after: position, limit, names: undefined }),
    lastPosition: () => reads.lastPosition(),
  });
  let closed = false;
  let readiness: Promise<void> | undefined;

  function ensureOpen(): void {
    if (closed) throw new StoreUnavailableError(`the PostgreSQL store at ${db.target} is closed`);
  }

  function ready(): Promise<void> {
    // A failed start (server down) is not remembered: the next call tries again.
    readiness ??= migrateSchema(db, names).catch((error: unknown) => {
      readiness = undefined;
      throw error;
    });
    return readiness;
  }

  async function appendResult(
    stream: string,
    batch: readonly PreparedEvent[],
    answer: AppendAnswer,
  ): Promise<AppendResult> {
    if (answer.kind === 'retried') {
      // A retry answers as the first append did: the events as stored, which never change.
      const events = await reads.readStream(stream, {
        fromVersion: answer.firstVersion,
        toVersion: answer.firstVersion + batch.length - 1,
        limit: batch.length,
      });
      return { stream, events, version: events[events.length - 1]?.version ?? 0 };
    }
    const firstVersion = answer.version - batch.length + 1;
    const firstPosition = answer.firstPosition ?? 0;
    const events = batch.map((event, index): StoredEvent => ({
      id: event.id,
      stream,
      name: event.name,
      data: JSON.parse(event.dataJson) as unknown,
      version: firstVersion + index,
      position: firstPosition + index,
      at: event.at,
      meta: JSON.parse(event.metaJson) as StoredEvent['meta'],
    }));
    return { stream, events, version: answer.version };
  }

  return {
    engine: 'postgres',
    schema: names.schema,
    limits: Object.freeze({ maxEventBytes, maxSnapshotBytes }),

    async ready() {
      ensureOpen();
      await ready();
    },

    async appendToStream(stream, events, appendOptions) {
      ensureOpen();
      const expected = appendOptions?.expectedVersion === undefined ? 'any' : appendOptions.expectedVersion;
      validateExpectedVersion(expected);
      const fencingTerm = appendOptions?.fencingTerm;
      validateFencingTerm(fencingTerm);
      const batch = prepareEvents(stream, events, maxEventBytes, now);
      refuseUnstorable(batch);
      await ready();
      const answer = await groupCommit.append({ stream, events: batch, expected, fencingTerm });
      return appendResult(stream, batch, answer);
    },

    async readStream(stream, readOptions) {
      ensureOpen();
      requireStreamArgument(stream);
      const range = resolveReadStream(readOptions);
      await ready();
      return reads.readStream(stream, range);
    },

    async readAll(readOptions) {
      ensureOpen();
      const resolved = resolveReadAll(readOptions);
      await ready();
      return reads.readAll(resolved);
    },

    async streamVersion(stream) {
      ensureOpen();
      requireStreamArgument(stream);
      await ready();
      return reads.streamVersion(stream);
    },

    async listStreams(listOptions) {
      ensureOpen();
      const resolved = resolveListStreams(listOptions);
      await ready();
      return reads.listStreams(resolved);
    },

    async saveSnapshot(snapshot) {
      ensureOpen();
      const prepared = prepareSnapshot(snapshot, maxSnapshotBytes);
      await ready();
      await snapshots.save(prepared, now().toISOString());
    },

    async readSnapshot(stream, key) {
      ensureOpen();
      requireStreamArgument(stream);
      await ready();
      return snapshots.read(stream, key);
    },

    async subscribe(listener, subscribeOptions) {
      ensureOpen();
      if (typeof listener !== 'function') throw new UsageError('subscribe needs a listener function');
      const after = subscribeOptions?.after;
      if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) {
        throw new UsageError(`after must be a whole number >= 0, got ${String(after)}`);
      }
      await ready();
      return feed.subscribe(listener, subscribeOptions);
    },

    async close() {
      // Closing twice is harmless: a shutdown path may not know whether the store was closed.
      if (closed) return;
      closed = true;
      // Appends already accepted are answered before the connections go.
      await groupCommit.idle();
      await feed.close();
      await db.end();
    },
  };
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
