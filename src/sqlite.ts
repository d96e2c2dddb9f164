/**
 * `omniscient-actors/sqlite`: the embedded default store, one SQLite file that every process of one
 * machine can share, or `':memory:'`. Importing this entry does not load the native driver; the
 * first `sqliteStore()` call does.
 */
export { sqliteStore, DEFAULT_BUSY_TIMEOUT_MS } from './engines/sqlite/sqlite-store.js';
export type { SqliteStoreOptions, SynchronousMode } from './engines/sqlite/sqlite-store.js';
