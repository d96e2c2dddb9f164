/**
 * Which store the processes of a cluster share, and how each one opens it. The parent describes the
 * store once; every worker receives the description in `OMNISCIENT_CLUSTER_STORE` and opens its
 * own connection to it, as the processes of a real deployment would.
 */
import type { EventStore } from '../../../src/index.js';
import { sqliteStore } from '../../../src/sqlite.js';

export type SharedStore =
  | { readonly engine: 'sqlite'; readonly file: string }
  | { readonly engine: 'postgres'; readonly connectionString: string; readonly schema: string }
  | { readonly engine: 'redis'; readonly url: string; readonly prefix: string };

export const SHARED_STORE_VARIABLE = 'OMNISCIENT_CLUSTER_STORE';

/** Opens a connection to the shared store. */
export async function openSharedStore(shared: SharedStore): Promise<EventStore> {
  switch (shared.engine) {
    case 'sqlite':
      return sqliteStore({ file: shared.file });
    case 'postgres': {
      // Loaded only here: a process that shares a SQLite file needs nothing of PostgreSQL.
      const { postgresStore } = await import('../../../src/postgres.js');
      // A small pool per process: the workers of a cluster, and the tests running beside them,
      // share the server's connections.
      const store = postgresStore(
        { connectionString: shared.connectionString, poolSize: 4 },
        { schema: shared.schema },
      );
      await store.ready();
      return store;
    }
    case 'redis': {
      const { redisStore } = await import('../../../src/redis.js');
      const store = redisStore(
        { url: shared.url },
        { prefix: shared.prefix, logger: { warn: () => undefined } },
      );
      await store.ready();
      return store;
    }
  }
}

/** The store this worker was told to share. */
export function sharedStoreOfThisProcess(): SharedStore {
  const description = process.env[SHARED_STORE_VARIABLE];
  if (description === undefined) throw new Error(`${SHARED_STORE_VARIABLE} is not set`);
  return JSON.parse(description) as SharedStore;
}
