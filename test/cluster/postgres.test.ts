/** LiveActor in a cluster of processes sharing one PostgreSQL schema, as the processes of many machines do. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actor, createContainer } from '../../src/index.js';
import { describeWithPostgres, withAdmin } from '../engines/postgres/server.js';
import { Cluster } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS, describeLiveActorCluster } from './live-actor-cluster.js';
import { postgresCluster, type FreshSharedStore } from './shared-stores.js';
import type { ResidentWorkerConfig } from './workers/resident-worker.js';

/** Fires on a stream without listening to it: a process that is not a live node. */
class Elsewhere extends Actor {
  Add(id: string) {
    return this.Fire('item_added', { id });
  }
}

describeWithPostgres('PostgreSQL cluster', () => {
  describeLiveActorCluster(postgresCluster);

  describe('an idle process with many resident live actors', () => {
    let fresh: FreshSharedStore;
    let cluster: Cluster;

    beforeEach(async () => {
      fresh = await postgresCluster.create();
      cluster = new Cluster(fresh.shared);
    });

    afterEach(async () => {
      await cluster.stop();
      await fresh.dispose();
    });

    /** The server's connections that listen for this store's notifications, whoever opened them. */
    async function listeningBackends(): Promise<Array<{ pid: number; query: string }>> {
      if (fresh.shared.engine !== 'postgres') throw new Error('a PostgreSQL store was expected');
      const listenerName = `omniscient:listen:${fresh.shared.schema}`;
      return withAdmin(async (client) => {
        const { rows } = await client.query<{ pid: number; query: string }>(
          'SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
          [listenerName],
        );
        return rows;
      });
    }

    it(
      'holds one notification connection for 10 000 live actors, and each still hears another process',
      async () => {
        const count = 10_000;
        const idle = cluster.start(
          'resident-worker',
          'idle',
          { count, prefix: 'resident-' } satisfies ResidentWorkerConfig,
          { nodeOptions: ['--expose-gc'] },
        );
        const loaded = await idle.message('loaded');
        expect(loaded['count']).toBe(count);
        const perActor = loaded['heapBytesPerActor'] as number;
        console.log(
          `a resident live actor takes about ${Math.round(perActor)} bytes of heap ` +
            `(${count} loaded on distinct streams, heapUsed after gc)`,
        );

        // Nothing else in this test listens on the store's channel: every listener is the idle process's.
        const listening = await listeningBackends();
        expect(listening).toHaveLength(1);
        expect(listening[0]?.query).toMatch(/^LISTEN /);

        const target = 4242;
        idle.send('expect', { index: target, id: 'from-elsewhere' });
        const elsewhere = new Elsewhere(`resident-${target}`, createContainer({ store: fresh.store }));
        await elsewhere.Add('from-elsewhere');
        const received = await idle.message('received');
        expect(received).toMatchObject({ version: 1, state: { count: 1, ids: ['from-elsewhere'] } });
        expect(await listeningBackends()).toEqual(listening);

        idle.send('finish');
        expect((await idle.message('finished'))['errors']).toEqual([]);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
});
