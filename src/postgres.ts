/**
 * `omniscient-actors/postgres`: the store that processes on many machines share, on PostgreSQL through
 * `pg`. `postgresStore({ connectionString })` opens its own pool; `postgresStore({ pool })` works
 * through a pool the caller keeps. The store's tables live in one schema (`{ schema }`, default
 * `omniscient`), created and migrated on first use.
 *
 * `pg` is an optional peer dependency of the package: an application that uses this entry installs
 * it (`npm install pg`). Importing the entry does not load it; the first `postgresStore(...)` does,
 * and throws `UsageError` naming the package when it is not installed.
 */
export { postgresStore } from './engines/postgres/postgres-store.js';
export type {
  PostgresConnection,
  PostgresEventStore,
  PostgresStoreOptions,
} from './engines/postgres/postgres-store.js';
export { DEFAULT_SCHEMA } from './engines/postgres/identifiers.js';
export { DEFAULT_CONNECTION_RETRY_MS, DEFAULT_POOL_SIZE } from './engines/postgres/connection.js';
