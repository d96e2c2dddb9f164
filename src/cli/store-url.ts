/**
 * What `--store <url>` (or `OMNISCIENT_STORE`) names: a SQLite file or a PostgreSQL database and
 * schema. Parsing is pure and checks everything it can before anything is opened, so a bad URL is a
 * usage error (exit 2) and never a half-opened store.
 *
 * - `sqlite:<path>`: a file, relative to the working directory or absolute (`sqlite:/abs/x.db`);
 *   `sqlite::memory:` parses (a private, empty database: of no use to inspect, but not wrong).
 * - `postgres://…` or `postgresql://…`: a libpq connection URL; its `schema` query parameter (if
 *   any) is the store's schema, and is removed from the URL handed to the driver.
 */
import { CliUsageError } from './cli-errors.js';

export type StoreTarget =
  | { readonly engine: 'sqlite'; readonly file: string }
  | { readonly engine: 'postgres'; readonly connectionString: string; readonly schema?: string };

const EXAMPLES = 'e.g. sqlite:./events.db or postgres://user@host:5432/db?schema=omniscient';

export function parseStoreUrl(text: string): StoreTarget {
  const url = text.trim();
  if (url === '') throw new CliUsageError(`the store URL is empty: give --store <url> (${EXAMPLES})`);
  if (url.startsWith('sqlite:')) {
    // `sqlite://path` is a common spelling of the same thing: accept it rather than read a host.
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file === '') throw new CliUsageError(`the SQLite store URL "${url}" names no file (${EXAMPLES})`);
    return { engine: 'sqlite', file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return postgresTarget(url);
  throw new CliUsageError(
    `unknown store URL "${redact(url)}": it must start with sqlite:, postgres:// or postgresql:// (${EXAMPLES})`,
  );
}

function postgresTarget(url: string): StoreTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliUsageError(`the PostgreSQL store URL "${redact(url)}" is not a valid URL (${EXAMPLES})`);
  }
  const schemas = parsed.searchParams.getAll('schema');
  if (schemas.length > 1)
    throw new CliUsageError(`the store URL "${redact(url)}" names more than one schema`);
  parsed.searchParams.delete('schema');
  const [schema] = schemas;
  if (schema === '') throw new CliUsageError(`the store URL "${redact(url)}" has an empty schema=`);
  const connectionString = parsed.toString();
  return schema === undefined
    ? { engine: 'postgres', connectionString }
    : { engine: 'postgres', connectionString, schema };
}

/** Query parameters of a PostgreSQL address that carry a secret. */
const SECRET_PARAMETERS = ['password', 'sslpassword'];

/**
 * The URL without its password, for messages and the inspector's page: the password in
 * `user:password@` and in a `password=` (or `sslpassword=`) query parameter.
 */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    let changed = false;
    if (parsed.password !== '') {
      parsed.password = '***';
      changed = true;
    }
    for (const name of SECRET_PARAMETERS) {
      if (parsed.searchParams.has(name)) {
        parsed.searchParams.set(name, '***');
        changed = true;
      }
    }
    return changed ? parsed.toString() : url;
  } catch {
    return url
      .replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
      .replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
  }
}

/** How a message names the store. */
export function describeTarget(target: StoreTarget): string {
  if (target.engine === 'sqlite') return `the SQLite file ${target.file}`;
  const schema = target.schema === undefined ? '' : ` (schema ${target.schema})`;
  return `the PostgreSQL database ${redact(target.connectionString)}${schema}`;
}
