/**
 * `omniscient-actors/redis`: a store that processes on many machines share, on Redis through
 * `ioredis`. `redisStore({ url })` opens its own connections; `redisStore({ client })` works
 * through an `ioredis` client (a `Redis` or a `Cluster`) the caller keeps. Every key starts with
 * `{prefix}:` (default `{omniscient}:`), so one store lives in one slot of a cluster.
 *
 * `ioredis` is an optional peer dependency of the package: an application that uses this entry
 * installs it (`npm install ioredis`). Importing the entry does not load it; the first
 * `redisStore(...)` does, and throws `UsageError` naming the package when it is not installed.
 */
export { redisStore, DEFAULT_CONNECTION_RETRY_MS } from './engines/redis/redis-store.js';
export type { RedisConnection, RedisEventStore, RedisStoreOptions } from './engines/redis/redis-store.js';
export type { DurabilityLogger } from './engines/redis/durability.js';
export { DEFAULT_PREFIX } from './engines/redis/keys.js';
