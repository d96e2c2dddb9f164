/**
 * The PostgreSQL server the PostgreSQL benchmarks run against, and the schemas and databases they
 * work in.
 *
 * Every timed run gets a schema of its own, created empty and dropped afterwards, so that no run
 * measures tables grown by the run before it and nothing is left on the server. A schema remembers
 * the database it was created in, so every helper given its name works there. A side that must not
 * see what other tools left in the server's database gets a database of the run's own
 * (`runDatabase`), dropped at the end of the run. When the server cannot be reached, the
 * benchmarks are skipped with a message saying so: a benchmark is not a test.
 */
import pg from 'pg';

/** Where the server is: `OMNISCIENT_BENCH_POSTGRES_URL`, or a local server with trust authentication. */
export const POSTGRES_URL =
  process.env['OMNISCIENT_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What the server is and how it commits: a figure means little without `synchronous_commit`. */
export interface PostgresServer {
  readonly version: string;
  readonly settings: Readonly<Record<string, string>>;
}

const REPORTED_SETTINGS = [
  'synchronous_commit',
  'fsync',
  'wal_sync_method',
  'commit_delay',
  'shared_buffers',
  'max_connections',
] as const;

let reachable: Promise<PostgresServer | { unreachable: string }> | undefined;

/**
 * The server's version and commit settings, or why it cannot be reached. Asked once per process:
 * every PostgreSQL benchmark shares the answer.
 */
export function postgresServer(): Promise<PostgresServer | { unreachable: string }> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!
        .server_version;
      const settings: Record<string, string> = {};
      for (const name of REPORTED_SETTINGS) {
        const row = (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]!;
        settings[name] = row[name]!;
      }
      return { version, settings };
    } catch (error) {
      return { unreachable: error instanceof Error ? error.message || error.name : String(error) };
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`: for messages and results. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

let counter = 0;
/** The schemas this process created and has not dropped, each with the database it is in. */
const schemas = new Map<string, string>();

/** The database every server has, from which the run's own databases are created and dropped. */
const MAINTENANCE_DATABASE = 'postgres';

/** The connection string `url` with its database replaced by `database`. */
function withDatabase(url: string, database: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `${describeUrl(url)}: the benchmarks need OMNISCIENT_BENCH_POSTGRES_URL as a postgres:// URL`,
    );
  }
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The databases this process created, by name, each with its connection string once created. */
const databases = new Map<string, Promise<string>>();

/**
 * The connection string of a database of the run's own on the same server,
 * `omniscient_bench_<label>_<pid>`: created empty (through the maintenance database) on the first
 * ask, the same one answered until `dropAllDatabases` drops it. Nothing another tool created in
 * the server's own database is visible in it, whatever the search path.
 */
export function runDatabase(label: string): Promise<string> {
  const name = `omniscient_bench_${label.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  let created = databases.get(name);
  if (created === undefined) {
    created = (async () => {
      try {
        await withAdmin(
          (client) => client.query(`CREATE DATABASE ${quote(name)}`),
          withDatabase(POSTGRES_URL, MAINTENANCE_DATABASE),
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `cannot create the database ${name} on ${describeUrl(POSTGRES_URL)} (${reason}): the ` +
            `benchmarks' role needs the CREATEDB privilege and the "${MAINTENANCE_DATABASE}" database`,
          { cause: error },
        );
      }
      return withDatabase(POSTGRES_URL, name);
    })();
    databases.set(name, created);
  }
  return created;
}

/**
 * Drops every database `runDatabase` created, with the schemas in them, even if a connection to one
 * is still open (a run that failed before closing its pool). Answers the names it could not drop,
 * with why, so that the run can say what it left on the server.
 */
export async function dropAllDatabases(): Promise<string[]> {
  const left: string[] = [];
  for (const [name, created] of [...databases]) {
    databases.delete(name);
    const url = await created.catch(() => undefined);
    for (const [schema, database] of [...schemas]) if (database === url) schemas.delete(schema);
    try {
      // FORCE ends the connections still open on it: a drop that waits on them would hang the run.
      await withAdmin(
        (client) => client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`),
        withDatabase(POSTGRES_URL, MAINTENANCE_DATABASE),
      );
    } catch (error) {
      left.push(`${name} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return left;
}

/**
 * A new, empty schema with a name no other run uses (the process id keeps two runs on one server
 * apart), in the server's database or in `database` (a connection string from `runDatabase`).
 * Dropped by `dropSchema`, or by `dropAllSchemas` at the end of the run.
 */
export async function freshSchema(label: string, database: string = POSTGRES_URL): Promise<string> {
  counter++;
  const schema = `bench_${process.pid}_${counter}_${label.replace(/[^a-z0-9]/g, '_')}`;
  await withAdmin((client) => client.query(`CREATE SCHEMA ${quote(schema)}`), database);
  schemas.set(schema, database);
  return schema;
}

/** The connection string of the database `schema` was created in. */
export function databaseOf(schema: string): string {
  const database = schemas.get(schema);
  if (database === undefined)
    throw new Error(`schema ${schema} was not created by freshSchema, or is dropped`);
  return database;
}

export async function dropSchema(schema: string): Promise<void> {
  const database = databaseOf(schema);
  await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`), database);
  schemas.delete(schema);
}

/** Drops every schema this process created and has not dropped yet (after a failed run, say). */
export async function dropAllSchemas(): Promise<void> {
  for (const schema of [...schemas.keys()]) await dropSchema(schema).catch(() => undefined);
}

/**
 * A pool whose connections work in `schema` (through `search_path`), opened in full before it is
 * handed out: connecting is set-up, not the cost of the first appends.
 */
export async function schemaPool(
  schema: string,
  size: number,
  types?: pg.CustomTypesConfig,
): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: databaseOf(schema),
    max: size,
    options: `-c search_path=${schema}`,
    ...(types === undefined ? {} : { types }),
  });
  // An idle connection the server ends (a run's database dropped under the pool of a run that
  // failed before closing it) must not end the process: a query on it fails through its own promise.
  pool.on('error', () => undefined);
  await openAll(pool, size);
  return pool;
}

/** Checks out `size` connections at once, then gives them back, so that the pool holds them all open. */
export async function openAll(pool: pg.Pool, size: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  for (const client of clients) client.release();
}

/** Counts the rows of a table of `schema`, to check what a run stored. */
export async function countRows(schema: string, table: string): Promise<number> {
  return withAdmin(async (client) => {
    const result = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${quote(schema)}.${quote(table)}`,
    );
    return Number(result.rows[0]!.count);
  }, databaseOf(schema));
}

/**
 * Sets the hint bits of freshly written rows and gives the planner statistics, on every table of
 * `schema`: a stream loaded in a running process has had both, whoever wrote it.
 */
export async function vacuumSchema(schema: string): Promise<void> {
  await withAdmin(async (client) => {
    const tables = await client.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1',
      [schema],
    );
    for (const { tablename } of tables.rows) {
      await client.query(`VACUUM ANALYZE ${quote(schema)}.${quote(tablename)}`);
    }
  }, databaseOf(schema));
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, database: string): Promise<T> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
