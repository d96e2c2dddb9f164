/**
 * The stores the LiveActor benchmarks share between processes: one SQLite file, one schema of a
 * PostgreSQL database, or one key prefix on a Redis server. The parent describes a store once; every worker process opens its own
 * connection to it from that description, as the processes of a real deployment would.
 *
 * The PostgreSQL server is `OMNISCIENT_BENCH_POSTGRES_URL`, else `OMNISCIENT_PG_URL`, else a local
 * server with trust authentication. Each run works in a schema of its own, dropped afterwards.
 */
import pg from 'pg';
import type { EventStore } from '../../src/index.js';
import { sqliteStore, type SynchronousMode } from '../../src/sqlite.js';

export const LIVE_POSTGRES_URL =
  process.env['OMNISCIENT_BENCH_POSTGRES_URL'] ??
  process.env['OMNISCIENT_PG_URL'] ??
  'postgres://postgres@127.0.0.1:5432/test';

export type StoreDescription =
  | {
      readonly engine: 'sqlite';
      readonly file: string;
      /** How often the store polls the file for other processes' commits where it does not watch it. */
      readonly pollIntervalMs: number;
      /** Whether the store watches the file's write-ahead log (the store's default) or only polls. */
      readonly watchFile?: boolean;
      readonly synchronous: SynchronousMode;
    }
  | {
      readonly engine: 'postgres';
      readonly connectionString: string;
      readonly schema: string;
      readonly poolSize: number;
    }
  | {
      readonly engine: 'redis';
      readonly url: string;
      readonly prefix: string;
    };

/** Opens a connection to the shared store; on PostgreSQL, once its schema is in place. */
export async function openStore(description: StoreDescription): Promise<EventStore> {
  switch (description.engine) {
    case 'sqlite':
      return sqliteStore({
        file: description.file,
        pollIntervalMs: description.pollIntervalMs,
        ...(description.watchFile === undefined ? {} : { watchFile: description.watchFile }),
        synchronous: description.synchronous,
      });
    case 'postgres': {
      // Loaded only here: a process sharing a SQLite file needs nothing of PostgreSQL.
      const { postgresStore } = await import('../../src/postgres.js');
      const store = postgresStore(
        { connectionString: description.connectionString, poolSize: description.poolSize },
        { schema: description.schema },
      );
      await store.ready();
      return store;
    }
    case 'redis': {
      const { redisStore } = await import('../../src/redis.js');
      // The parent saves the server's persistence settings with the results; a warning per process adds nothing.
      const store = redisStore(
        { url: description.url },
        { prefix: description.prefix, logger: { warn: () => undefined } },
      );
      await store.ready();
      return store;
    }
  }
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`, for messages and results. */
export function describePostgresUrl(url: string = LIVE_POSTGRES_URL): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

export type PostgresServerInfo =
  { readonly unreachable: string } | { readonly version: string; readonly synchronousCommit: string };

let serverInfo: Promise<PostgresServerInfo> | undefined;

/** The server's version and commit setting, or why it cannot be reached. Asked once per process. */
export function postgresServerInfo(): Promise<PostgresServerInfo> {
  serverInfo ??= withClient(async (client) => {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    const commit = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    return {
      version: version.rows[0]!.server_version,
      synchronousCommit: commit.rows[0]!.synchronous_commit,
    };
  }).catch((error: unknown) => ({
    unreachable: error instanceof Error ? error.message || error.name : String(error),
  }));
  return serverInfo;
}

let schemaCounter = 0;

/**
 * A schema name no other run uses (the process id keeps two runs on one server apart), short
 * enough that the store's listening connection shows it whole in `application_name`.
 */
export function freshSchemaName(label: string): string {
  schemaCounter++;
  return `bench_live_${process.pid}_${schemaCounter}_${label}`;
}

export async function dropSchema(schema: string): Promise<void> {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/** How many connections LISTEN for the store in `schema` (the store names them after it). */
export async function listeningConnections(schema: string): Promise<number> {
  return withClient(async (client) => {
    const result = await client.query<{ count: string }>(
      'SELECT count(*) AS count FROM pg_stat_activity WHERE application_name = $1',
      [`omniscient:listen:${schema}`.slice(0, 63)],
    );
    return Number(result.rows[0]!.count);
  });
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: LIVE_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
