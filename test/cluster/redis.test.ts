/** LiveActor in a cluster of processes sharing one Redis store, as the processes of many machines do. */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actor, createContainer } from '../../src/index.js';
import { describeWithRedis, REDIS_URL } from '../engines/redis/server.js';
import { Cluster } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS, describeLiveActorCluster } from './live-actor-cluster.js';
import { redisCluster, type FreshSharedStore } from './shared-stores.js';
import type { ResidentWorkerConfig } from './workers/resident-worker.js';

/** Fires on a stream without listening to it: a process that is not a live node. */
class Elsewhere extends Actor {
  Add(id: string) {
    return this.Fire('item_added', { id });
  }
}

describeWithRedis('Redis cluster', () => {
  describeLiveActorCluster(redisCluster);

  describe('an idle process with many resident live actors', () => {
    let fresh: FreshSharedStore;
    let cluster: Cluster;

    beforeEach(async () => {
      fresh = await redisCluster.create();
      cluster = new Cluster(fresh.shared);
    });

    afterEach(async () => {
      await cluster.stop();
      await fresh.dispose();
    });

    /** The server's connections subscribed to this store's notifications, whoever opened them. */
    async function notificationConnections(): Promise<string[]> {
      if (fresh.shared.engine !== 'redis') throw new Error('a Redis store was expected');
      const admin = new Redis(REDIS_URL);
      try {
        const list = String(await admin.client('LIST'));
        const name = `omniscient:notify:${fresh.shared.prefix}`;
        return list.split('\n').filter((line) => line.includes(` name=${name} `));
      } finally {
        admin.disconnect();
      }
    }

    it(
      'holds one notification connection for 2 000 live actors, and each still hears another process',
      async () => {
        const count = 2_000;
        const idle = cluster.start(
          'resident-worker',
          'idle',
          { count, prefix: 'resident-' } satisfies ResidentWorkerConfig,
          { nodeOptions: ['--expose-gc'] },
        );
        expect((await idle.message('loaded'))['count']).toBe(count);

        const subscribed = await notificationConnections();
        expect(subscribed).toHaveLength(1);
        expect(subscribed[0]).toMatch(/ sub=1 /);

        const target = 1234;
        idle.send('expect', { index: target, id: 'from-elsewhere' });
        const elsewhere = new Elsewhere(`resident-${target}`, createContainer({ store: fresh.store }));
        await elsewhere.Add('from-elsewhere');
        const received = await idle.message('received');
        expect(received).toMatchObject({ version: 1, state: { count: 1, ids: ['from-elsewhere'] } });
        expect(await notificationConnections()).toHaveLength(1);

        idle.send('finish');
        expect((await idle.message('finished'))['errors']).toEqual([]);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
});
