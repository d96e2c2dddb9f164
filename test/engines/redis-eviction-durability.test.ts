/**
 * `ready()` says through the logger when acknowledged events can be lost. Persistence is one way to
 * lose them; eviction is another: under `maxmemory` with an `allkeys-*` policy Redis deletes keys it
 * chooses when memory runs short (the store's keys have no TTL, so `volatile-*` policies and
 * `noeviction` spare them), and events, ids and versions go with no error to anyone. Here a
 * server of the test's own, persisting every write (`appendfsync always`), evicts any key.
 */
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { DisposableRedis } from '../engines/redis/disposable-redis.js';
import { describeWithRedis } from '../engines/redis/server.js';

describeWithRedis('the Redis store at ready() on a server that may evict its keys', () => {
  it('warns that acknowledged events can be lost, naming maxmemory-policy', async () => {
    const server = await DisposableRedis.start();
    const admin = new Redis(server.url);
    const warnings: string[] = [];
    const store = redisStore({ url: server.url }, { logger: { warn: (line) => warnings.push(line) } });
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await admin.config('SET', 'maxmemory', '64mb');
      await store.ready();
      expect(warnings).toEqual([expect.stringContaining('maxmemory-policy')]);
    } finally {
      await store.close();
      admin.disconnect();
      await server.dispose();
    }
  });
});
