/**
 * The store a multi-process benchmark case shares, and the engines a benchmark runs on.
 *
 * A case gets a fresh SQLite file, a fresh PostgreSQL schema or a fresh Redis key prefix, which the
 * parent creates (tables or schema; Redis needs nothing) before any worker opens it, so that the workers do not race to create it; it is removed
 * when the case is disposed, and when opening it fails. An arena adds the parent's own connection
 * to that store, opened first and kept for the whole case with a watch on it: the instrument that
 * times what the workers store.
 *
 * SQLite is always run; PostgreSQL when its server answers, else a note in the results says why not.
 * Redis runs where a benchmark asks for it (`redis-failover`), when its server answers.
 */
import { DEFAULT_POLL_INTERVAL_MS } from '../../src/engines/sqlite/change-watcher.js';
import type { EventStore } from '../../src/index.js';
import type { BenchmarkOptions } from './benchmark.js';
import { freshDatabaseFile, removeDatabaseFile } from './files.js';
import {
  describePostgresUrl,
  dropSchema,
  freshSchemaName,
  LIVE_POSTGRES_URL,
  openStore,
  postgresServerInfo,
  type StoreDescription,
} from './live-stores.js';
import { dropPrefix, freshPrefix, REDIS_URL } from './redis-bench.js';

export type Engine = 'sqlite' | 'postgres' | 'redis';
export const ENGINE_NAMES: Record<Engine, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  redis: 'Redis',
};

/** The store's default poll of a SQLite file, which the workers keep unless a case says otherwise. */
export const SQLITE_DEFAULT_POLL_MS = DEFAULT_POLL_INTERVAL_MS;

/** How often the parent's own connection polls a SQLite file: it is an instrument, so that it adds little. */
export const OBSERVER_POLL_MS = 1;

/** How one case's store is named, and how the workers connect to it. */
export interface StorePlan {
  /** The label of the SQLite file (`freshDatabaseFile`). */
  readonly file: string;
  /** The label of the PostgreSQL schema (`freshSchemaName`), and of the Redis prefix (`freshPrefix`). */
  readonly schema: string;
  /** How often the workers' SQLite stores poll the file for the others' commits; else the store's default. */
  readonly sqlitePollMs?: number;
  /** Whether the workers' SQLite stores watch the file (else only poll); else the store's default. */
  readonly sqliteWatch?: boolean;
  /** Connections per worker's PostgreSQL pool. */
  readonly poolSize: number;
}

/** A case's store, ready for the workers to open; `dispose` removes it. */
export interface CaseStore {
  readonly description: StoreDescription;
  dispose(): Promise<void>;
}

/** A case's store with the parent's own connection to it, and what the parent watches through it. */
export interface Arena<Watch> extends CaseStore {
  readonly observer: EventStore;
  readonly watch: Watch;
}

function freshStore(
  engine: Engine,
  plan: StorePlan,
  options: BenchmarkOptions,
): { description: StoreDescription; remove: () => Promise<void> } {
  if (engine === 'sqlite') {
    const file = freshDatabaseFile(plan.file);
    return {
      description: {
        engine,
        file,
        pollIntervalMs: plan.sqlitePollMs ?? SQLITE_DEFAULT_POLL_MS,
        ...(plan.sqliteWatch === undefined ? {} : { watchFile: plan.sqliteWatch }),
        synchronous: options.synchronous,
      },
      remove: async () => removeDatabaseFile(file),
    };
  }
  if (engine === 'redis') {
    const prefix = freshPrefix(plan.schema);
    return {
      description: { engine, url: REDIS_URL, prefix },
      remove: () => dropPrefix(prefix),
    };
  }
  const schema = freshSchemaName(plan.schema);
  return {
    description: { engine, connectionString: LIVE_POSTGRES_URL, schema, poolSize: plan.poolSize },
    remove: () => dropSchema(schema),
  };
}

/** A fresh store of `engine`, created and closed again, for workers that the parent does not watch. */
export async function caseStore(
  engine: Engine,
  plan: StorePlan,
  options: BenchmarkOptions,
): Promise<CaseStore> {
  const { description, remove } = freshStore(engine, plan, options);
  try {
    await (await openStore(description)).close();
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
  return { description, dispose: remove };
}

/**
 * A fresh store of `engine`, with the parent's connection to it open and `startWatch` started on
 * that connection; `dispose` closes the watch, then the connection, then removes the store.
 */
export async function openArena<Watch extends { close(): Promise<void> }>(
  engine: Engine,
  plan: StorePlan,
  options: BenchmarkOptions,
  startWatch: (observer: EventStore) => Promise<Watch>,
): Promise<Arena<Watch>> {
  const { description, remove } = freshStore(engine, plan, options);
  const observed: StoreDescription =
    description.engine === 'sqlite' ? { ...description, pollIntervalMs: OBSERVER_POLL_MS } : description;
  let observer: EventStore | undefined;
  try {
    observer = await openStore(observed);
    const watch = await startWatch(observer);
    const opened = observer;
    return {
      description,
      observer,
      watch,
      dispose: async () => {
        await watch.close();
        await opened.close();
        await remove();
      },
    };
  } catch (error) {
    await observer?.close().catch(() => undefined);
    await remove().catch(() => undefined);
    throw error;
  }
}

/** The engines a benchmark runs on, and the settings saved with its results. */
export interface EngineChoice {
  readonly engines: Engine[];
  readonly settings: Record<string, unknown>;
}

/**
 * The engines to run, SQLite always and PostgreSQL when its server answers, and the settings to
 * save with the results: `settings`, then the server's own when PostgreSQL runs. When it does not,
 * a note says why (`<skipped> skipped: …`), in `notes` and in the progress.
 */
export async function enginesToRun(
  benchmark: string,
  options: BenchmarkOptions,
  notes: string[],
  run: {
    readonly settings: Record<string, unknown>;
    readonly poolSize: number;
    /** What the note says is missing: `PostgreSQL`, or `PostgreSQL rows`. */
    readonly skipped: string;
  },
): Promise<EngineChoice> {
  const server = await postgresServerInfo();
  if (!('unreachable' in server)) {
    return {
      engines: ['sqlite', 'postgres'],
      settings: {
        ...run.settings,
        postgres: describePostgresUrl(),
        postgresVersion: server.version,
        postgresSynchronousCommit: server.synchronousCommit,
        postgresPoolSizePerProcess: run.poolSize,
      },
    };
  }
  const note =
    `${run.skipped} skipped: no server at ${describePostgresUrl()} (${server.unreachable}); ` +
    'set OMNISCIENT_BENCH_POSTGRES_URL or OMNISCIENT_PG_URL';
  options.progress(`${benchmark}: ${note}`);
  notes.push(note);
  return { engines: ['sqlite'], settings: run.settings };
}
