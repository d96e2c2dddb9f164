/**
 * What every PostgreSQL benchmark shares: the check that the server can be reached (a benchmark is
 * skipped with a message, not failed, when it cannot), the pool size every side gets, the settings
 * saved with the results, and the clean-up of the run's schemas and databases.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { DEFAULT_POOL_SIZE } from '../../src/postgres.js';
import type { BenchmarkOptions } from './benchmark.js';
import { peerVersion } from './peer-emmett.js';
import {
  describeUrl,
  dropAllDatabases,
  dropAllSchemas,
  POSTGRES_URL,
  postgresServer,
  type PostgresServer,
} from './postgres-server.js';
import { formatPostgresTables, type PostgresBenchmarkResult } from './report-postgres.js';

/** Connections per pool, the same for the engine, the raw baseline and the peer: the engine's default. */
export const POOL_SIZE = DEFAULT_POOL_SIZE;

/** Concurrent writers (async callers in one process) the append cases run with. */
export const WRITER_COUNTS = [1, 8, 64] as const;

/** All PostgreSQL results print as one set of tables, with the peer's column and the latencies. */
export const formatTable = formatPostgresTables;

export interface PostgresContext {
  readonly server: PostgresServer;
  /** Saved with the results: the server, how it commits, the drivers and the pool. */
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * Runs `body` against the server, or answers a skipped result saying why the server cannot be
 * reached. Whatever happens, the schemas and databases the run created are dropped; one that
 * cannot be is named in the progress output rather than thrown, so that it never hides the run's
 * own error.
 */
export async function runPostgresBenchmark(
  benchmark: string,
  description: string,
  options: BenchmarkOptions,
  body: (context: PostgresContext) => Promise<PostgresBenchmarkResult>,
): Promise<PostgresBenchmarkResult> {
  const server = await postgresServer();
  if ('unreachable' in server) {
    const skipped =
      `PostgreSQL server at ${describeUrl(POSTGRES_URL)} unreachable (${server.unreachable}); ` +
      `set OMNISCIENT_BENCH_POSTGRES_URL to run the PostgreSQL benchmarks`;
    options.progress(`${benchmark}: skipped: ${skipped}`);
    return { benchmark, description, settings: {}, cases: [], skipped };
  }
  const settings = {
    server: describeUrl(POSTGRES_URL),
    serverVersion: server.version,
    ...server.settings,
    pg: packageVersion('pg'),
    peer: `@event-driven-io/emmett-postgresql ${peerVersion()}`,
    poolSize: POOL_SIZE,
  };
  try {
    return await body({ server, settings });
  } finally {
    for (const left of await dropAllDatabases())
      options.progress(`${benchmark}: database left on the server: ${left}`);
    await dropAllSchemas();
  }
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
