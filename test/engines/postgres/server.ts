/**
 * The PostgreSQL server the engine's tests run against (`OMNISCIENT_PG_URL`, or a local server
 * with trust authentication), and the schemas they work in: every store a test opens gets a new
 * schema, dropped when the test file ends, so tests running at the same time never meet.
 *
 * Without a server, a test file fails in CI (a missing server there is a broken setup, not a
 * reason to pass), and on a developer's machine skips with a warning saying why.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { postgresBinaries } from './disposable-server.js';

export const POSTGRES_URL = process.env.OMNISCIENT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the server cannot be used, or `undefined` when it can. */
async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe();

/**
 * `describe` for specifications that need the server: they run when it answers, fail in CI when it
 * does not, and are skipped loudly elsewhere.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  const why =
    unreachable === undefined
      ? undefined
      : `no PostgreSQL server at ${describeUrl(POSTGRES_URL)} (${unreachable}); set OMNISCIENT_PG_URL`;
  describeUnless(why, name, body);
}

/**
 * `describe` for specifications that start a server of their own (see `disposable-server.ts`):
 * they need PostgreSQL's programs (initdb, pg_ctl) on this machine.
 */
export function describeWithDisposablePostgres(name: string, body: () => void): void {
  const why =
    postgresBinaries() === undefined
      ? 'no PostgreSQL programs (initdb, pg_ctl) found; set OMNISCIENT_PG_BIN to their directory'
      : undefined;
  describeUnless(why, name, body);
}

function describeUnless(why: string | undefined, name: string, body: () => void): void {
  if (why === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs a PostgreSQL server', () => {
        throw new Error(`${why}: in CI the PostgreSQL specifications must run`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${why} ***\n`);
  describe.skipIf(true)(`${name} [skipped: ${why}]`, body);
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(a connection string that is not a URL)';
  }
}

const schemas = new Set<string>();

/** A schema name no other test uses, dropped (with what it holds) after the test file. */
export function freshSchema(): string {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.add(schema);
  return schema;
}

afterAll(async () => {
  if (schemas.size === 0 || unreachable !== undefined) return;
  await withAdmin(async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  schemas.clear();
});

/** Runs `work` on a connection of its own, outside any store. */
export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, url = POSTGRES_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
