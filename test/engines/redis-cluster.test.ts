/**
 * The Redis engine on a real Redis Cluster (three primaries of the test's own): the whole
 * conformance suite through an ioredis `Cluster` client, every store in the one slot its hash tag
 * names, and the store never closing the client it was given.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngineConformance } from 'omniscient-actors/conformance';
import { redisStore } from '../../src/redis.js';
import { DisposableRedisCluster } from './redis/disposable-redis.js';
import { describeWithRedis, freshPrefix } from './redis/server.js';

const quiet = { warn: () => undefined };

describeWithRedis('Redis Cluster', () => {
  let cluster: DisposableRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await DisposableRedisCluster.start();
    client = new Cluster(cluster.nodes);
  }, 30_000);

  afterAll(async () => {
    await client?.quit().catch(() => undefined);
    await cluster?.dispose();
  });

  describe('conformance through a Cluster client', () => {
    describeEngineConformance(
      'redis-cluster',
      (options) => redisStore({ client }, { prefix: freshPrefix(), logger: quiet, ...options }),
      { describe, it },
    );
  });

  it("keeps every key of a store in one slot, and leaves the caller's client open when it closes", async () => {
    const prefix = freshPrefix();
    const store = redisStore({ client }, { prefix, logger: quiet });
    await store.appendToStream('user-1', [{ name: 'opened' }]);
    await store.appendToStream('user-2', [{ name: 'opened' }]);
    await store.saveSnapshot({ stream: 'user-1', key: 'User', version: 1, fingerprint: 'f', state: {} });
    await store.close();
    const keys: string[] = [];
    for (const node of client.nodes('master')) keys.push(...(await node.keys(`{${prefix}}:*`)));
    expect(keys.length).toBeGreaterThan(5);
    const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
    expect(slots.size).toBe(1);
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
  });
});
