/**
 * The peer baseline: the same appends and reads through another event store for Node.js on
 * PostgreSQL, `@event-driven-io/emmett-postgresql`, so that the engine's figures also read as "how
 * it compares with what a user could pick instead".
 *
 * Its store works in the run's schema through the pool it is given (same size as the other sides),
 * and creates its own tables there on first use, untimed. Two things set it apart and are handled
 * here:
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
import { POSTGRES_URL, schemaPool } from './postgres-server.js';
import type { Deposit, WorkloadEvent } from './workload.js';

/** The tables it stores events and streams in. */
export const PEER_EVENTS_TABLE = 'emt_messages';

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
  readonly #pool: pg.Pool;
  /** Appends answered with a conflict and made again (writers racing on one stream). */
  retries = 0;

  private constructor(store: PostgresEventStore, pool: pg.Pool) {
    this.store = store;
    this.#pool = pool;
  }

  /** A peer store in `schema`, its tables created and its `size` connections open. */
  static async open(schema: string, size: number): Promise<PeerStore> {
    const processWide = new Map(PEER_PARSED_TYPES.map((oid) => [oid, pg.types.getTypeParser(oid, 'text')]));
    // The peer's pool gets the peer's parsers, taken from the process-wide table the peer sets below.
    const peerParsers = new Map<number, (value: string) => unknown>();
    const types: pg.CustomTypesConfig = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        peerParsers.get(oid) ??
        pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
    };
    const pool = await schemaPool(schema, size, types);
    const store = getPostgreSQLEventStore(POSTGRES_URL, {
      connectionOptions: { pool },
    });
    for (const oid of PEER_PARSED_TYPES) {
      peerParsers.set(oid, pg.types.getTypeParser(oid, 'text') as (value: string) => unknown);
      pg.types.setTypeParser(oid, 'text', processWide.get(oid)!);
    }
    await store.schema.migrate();
    return new PeerStore(store, pool);
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

  async close(): Promise<void> {
    await this.store.close();
    await this.#pool.end();
  }
}

/** The peer's concurrency error, recognised by its code (the class is not exported by the store's package). */
function isConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { errorCode?: unknown }).errorCode === 412;
}
