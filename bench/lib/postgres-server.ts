/**
 * The PostgreSQL server the PostgreSQL benchmarks run against, and the schemas they work in.
 *
 * Every timed run gets a schema of its own, created empty and dropped afterwards, so that no run
 * measures tables grown by the run before it and nothing is left on the server. When the server
 * cannot be reached, the benchmarks are skipped with a message saying so: a benchmark is not a test.
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
const created = new Set<string>();

/**
 * A new, empty schema with a name no other run uses (the process id keeps two runs on one server
 * apart). Dropped by `dropSchema`, or by `dropAllSchemas` at the end of the run.
 */
export async function freshSchema(label: string): Promise<string> {
  counter++;
  const schema = `bench_${process.pid}_${counter}_${label.replace(/[^a-z0-9]/g, '_')}`;
  await withAdmin((client) => client.query(`CREATE SCHEMA ${quote(schema)}`));
  created.add(schema);
  return schema;
}

export async function dropSchema(schema: string): Promise<void> {
  await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`));
  created.delete(schema);
}

/** Drops every schema this process created and has not dropped yet (after a failed run, say). */
export async function dropAllSchemas(): Promise<void> {
  for (const schema of [...created]) await dropSchema(schema).catch(() => undefined);
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
    connectionString: POSTGRES_URL,
    max: size,
    options: `-c search_path=${schema}`,
    ...(types === undefined ? {} : { types }),
  });
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
  });
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
  });
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
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
