/**
 * The peer baseline: the same appends and reads through another event store for Node.js on
 * PostgreSQL, `@event-driven-io/emmett-postgresql`, so that the engine's figures also read as "how
 * it compares with what a user could pick instead".
 *
 * It works in a database of the run's own on the same server (`omniscient_bench_peer_<pid>`,
 * dropped at the end of the run), in a fresh schema per timed run, through a pool of the same size
 * as the other sides', and creates its own tables there on first use, untimed. Its migration
 * creates each of its functions only if no function of that name exists anywhere in the database,
 * then calls it through the search path: in the server's own database, a copy left in `public` by
 * an older install, or by another tool, would make it skip the creation and fail. In a database of
 * its own, with one of its schemas at a time, it always creates them. Two things set it apart
 * and are handled here:
 * - Creating it sets `pg`'s process-wide type parsers (bigint as BigInt, json through its own
 *   parser). Left as they are, they would change what every other pool of the process reads, the
 *   engine's included, so they are put back at once and given to the peer's pool alone.
 * - Without an expected version it still appends only if the stream has not moved since it read
 *   the stream's position, and answers a conflict otherwise. Writers racing on one stream must then
 *   retry, as a user of it would; the retries are counted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import {
  countRows,
  databaseOf,
  dropSchema,
  freshSchema,
  runDatabase,
  schemaPool,
} from './postgres-server.js';
import type { Deposit, WorkloadEvent } from './workload.js';

/** The table it stores events in. */
const PEER_EVENTS_TABLE = 'emt_messages';

/*
 * Type aliases rather than interfaces: the peer takes any `Record<string, unknown>` as data and
 * metadata, which an interface, having no index signature, is not.
 */
type PeerDeposit = { [Key in keyof Deposit]: Deposit[Key] };
type PeerMeta = { messageId: string; actor: string };
export type PeerEvent = { type: 'deposited'; data: PeerDeposit; metadata: PeerMeta };

/** What the peer is given for a workload event: the same id (as its message id), name, data and metadata. */
export function toPeerEvent(event: WorkloadEvent): PeerEvent {
  return { type: event.name, data: event.data, metadata: { messageId: event.id, ...event.meta } };
}

/** The installed version: its package exports no `package.json`, so the manifest is found from its entry. */
export function peerVersion(): string {
  const require = createRequire(import.meta.url);
  let directory = path.dirname(require.resolve('@event-driven-io/emmett-postgresql'));
  for (;;) {
    const manifest = path.join(directory, 'package.json');
    if (existsSync(manifest))
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    const parent = path.dirname(directory);
    if (parent === directory) return 'unknown';
    directory = parent;
  }
}

/** The OIDs whose process-wide parsers the peer replaces: int8, jsonb, json. */
const PEER_PARSED_TYPES = [20, 3802, 114] as const;

export class PeerStore {
  readonly store: PostgresEventStore;
  /** Its schema, in the peer's own database: the schema helpers of `postgres-server.ts` work there. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  /** Appends answered with a conflict and made again (writers racing on one stream). */
  retries = 0;

  private constructor(store: PostgresEventStore, schema: string, pool: pg.Pool) {
    this.store = store;
    this.schema = schema;
    this.#pool = pool;
  }

  /**
   * A peer store in a fresh schema (`label` names it) of the peer's own database, its tables
   * created and its `size` connections open. `close` drops the schema.
   */
  static async open(label: string, size: number): Promise<PeerStore> {
    const database = await runDatabase('peer');
    const schema = await freshSchema(label, database);
    try {
      return await PeerStore.#openIn(schema, size);
    } catch (error) {
      await dropSchema(schema);
      throw error;
    }
  }

  static async #openIn(schema: string, size: number): Promise<PeerStore> {
    const processWide = new Map(PEER_PARSED_TYPES.map((oid) => [oid, pg.types.getTypeParser(oid, 'text')]));
    // The peer's pool gets the peer's parsers, taken from the process-wide table the peer sets below.
    const peerParsers = new Map<number, (value: string) => unknown>();
    const types: pg.CustomTypesConfig = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        peerParsers.get(oid) ??
        pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
    };
    const pool = await schemaPool(schema, size, types);
    const store = getPostgreSQLEventStore(databaseOf(schema), {
      connectionOptions: { pool },
    });
    for (const oid of PEER_PARSED_TYPES) {
      peerParsers.set(oid, pg.types.getTypeParser(oid, 'text') as (value: string) => unknown);
      pg.types.setTypeParser(oid, 'text', processWide.get(oid)!);
    }
    try {
      await store.schema.migrate();
    } catch (error) {
      // Its connections closed now, the schema (and the database at the end of the run) can be dropped.
      await store.close();
      await pool.end();
      throw error;
    }
    return new PeerStore(store, schema, pool);
  }

  /** Appends with an expected version (the stream's version before the append). */
  async append(stream: string, events: PeerEvent[], expectedVersion: number): Promise<void> {
    await this.store.appendToStream(stream, events, { expectedStreamVersion: BigInt(expectedVersion) });
  }

  /** Appends without an expected version, again and again while the peer answers a conflict. */
  async appendAnyVersion(stream: string, events: PeerEvent[]): Promise<void> {
    for (;;) {
      try {
        await this.store.appendToStream(stream, events);
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
        this.retries++;
      }
    }
  }

  /** Events `from` to `to` (inclusive) of `stream`. */
  async readPage(stream: string, from: number, to: number): Promise<PeerEvent[]> {
    const result = await this.store.readStream<PeerEvent>(stream, { from: BigInt(from), to: BigInt(to) });
    return result.events;
  }

  /** How many events its table holds, to check what a run stored. */
  storedEvents(): Promise<number> {
    return countRows(this.schema, PEER_EVENTS_TABLE);
  }

  /** Closes its connections and drops its schema. */
  async close(): Promise<void> {
    await this.store.close();
    await this.#pool.end();
    await dropSchema(this.schema);
  }
}

/** The peer's concurrency error, recognised by its code (the class is not exported by the store's package). */
function isConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { errorCode?: unknown }).errorCode === 412;
}
