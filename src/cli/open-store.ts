/**
 * Opens the store a command reads, as read-only as its engine allows, so that inspecting a
 * user's database never creates, migrates or writes it by accident:
 * - SQLite: opened `readonly` (the file must exist and hold a store; else `StoreUnavailableError`).
 * - PostgreSQL: the engine has no read-only mode; `ready()` is awaited first so that a wrong host,
 *   port, user or database fails at once. The commands only read.
 *
 * The store URL comes from `--store`, else `OMNISCIENT_STORE`.
 */
import { existsSync } from 'node:fs';
import type { EventStore } from '../engines/engine.js';
import { StoreUnavailableError } from '../errors.js';
import { postgresStore } from '../postgres.js';
import { sqliteStore } from '../sqlite.js';
import { CliUsageError } from './cli-errors.js';
import { parseStoreUrl, type StoreTarget } from './store-url.js';

export const STORE_VARIABLE = 'OMNISCIENT_STORE';

/** The store URL a command was given: `--store`, else the environment variable. */
export function storeUrlFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = option ?? env[STORE_VARIABLE];
  if (url === undefined || url.trim() === '') {
    throw new CliUsageError(
      `no store given: pass --store <url> or set ${STORE_VARIABLE} (e.g. sqlite:./events.db or postgres://user@host/db)`,
    );
  }
  return url;
}

/** How long a PostgreSQL call retries a server that went away mid-command before giving up. */
const POSTGRES_RETRY_MS = 3000;

export async function openStore(target: StoreTarget, access: 'read' | 'write' = 'read'): Promise<EventStore> {
  if (target.engine === 'sqlite') {
    // `:memory:` cannot be opened read-only: it is empty and private anyway, so nothing is at risk.
    // A command that writes (snapshots rebuild) still needs the file to exist: it never makes one.
    if (access === 'write' && target.file !== ':memory:' && !existsSync(target.file)) {
      throw new StoreUnavailableError(`the SQLite file ${target.file} does not exist`);
    }
    return sqliteStore({ file: target.file, readonly: access === 'read' && target.file !== ':memory:' });
  }
  const store = postgresStore(
    { connectionString: target.connectionString },
    {
      connectionRetryMs: POSTGRES_RETRY_MS,
      ...(target.schema === undefined ? {} : { schema: target.schema }),
    },
  );
  try {
    await store.ready();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/** Opens the store named by `--store`/`OMNISCIENT_STORE`, runs `work` on it, and closes it. */
export async function withStore<T>(
  url: string | undefined,
  work: (store: EventStore) => Promise<T>,
  access: 'read' | 'write' = 'read',
): Promise<T> {
  const store = await openStore(parseStoreUrl(storeUrlFrom(url)), access);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
