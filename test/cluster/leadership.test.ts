/**
 * Leader election across real processes: three processes campaign for one lease through their own
 * `LeaseKeeper` (`workers/leader-worker.ts`), on a shared SQLite file and on PostgreSQL. The first
 * leader stops gracefully, the second is killed with SIGKILL: another process must take over each
 * time (the time it took is printed, never asserted). A checker then reads the stream every leader appended to, with its term
 * as the fencing term, and proves that terms never went back and that no term was written by two
 * processes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/index.js';
import { describeWithPostgres } from '../engines/postgres/server.js';
import { Cluster, type WorkerProcess } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS } from './live-actor-cluster.js';
import {
  postgresCluster,
  redisCluster,
  sqliteCluster,
  type ClusterEngine,
  type FreshSharedStore,
} from './shared-stores.js';
import type { Led, LeaderWorkerConfig } from './workers/leader-worker.js';
import { describeWithRedis } from '../engines/redis/server.js';

const NODES = ['node-a', 'node-b', 'node-c'];
const LEASE = 'leader:singleton';
const STREAM = 'singleton';

/** Waits until one of `workers` acts in a term above `above`, and says which, in which term, since when. */
async function nextLeader(
  workers: readonly WorkerProcess[],
  above: number,
): Promise<{ worker: WorkerProcess; term: number; at: number }> {
  const found = () =>
    workers.find((worker) =>
      worker.messagesOf('acting').some((message) => (message['term'] as number) > above),
    );
  await Promise.race(workers.map((worker) => worker.until(() => found() !== undefined)));
  const worker = found() as WorkerProcess;
  const acting = worker.messagesOf('acting').find((message) => (message['term'] as number) > above);
  return { worker, term: acting?.['term'] as number, at: acting?.['at'] as number };
}

function describeFailover(engine: ClusterEngine): void {
  describe(`leader election across three processes on ${engine.name}`, () => {
    let fresh: FreshSharedStore;
    let cluster: Cluster;

    beforeEach(async () => {
      fresh = await engine.create();
      cluster = new Cluster(fresh.shared);
    });

    afterEach(async () => {
      await cluster.stop();
      await fresh.dispose();
    });

    it(
      'hands over on a graceful stop, elects another leader after kill -9, and never lets two processes write one term',
      async () => {
        let alive = NODES.map((node) =>
          cluster.start('leader-worker', node, {
            node,
            lease: LEASE,
            stream: STREAM,
          } satisfies LeaderWorkerConfig),
        );
        await cluster.go();
        const first = await nextLeader(alive, 0);
        // A graceful stop: the leader releases the lease and says so through the store.
        const stoppedAt = Date.now();
        first.worker.send('stop');
        await first.worker.message('stopped');
        alive = alive.filter((worker) => worker !== first.worker);
        const second = await nextLeader(alive, first.term);
        console.log(
          `${engine.name}: graceful stop of ${first.worker.name} (term ${first.term}) → ` +
            `${second.worker.name} acting in term ${second.term} after ${second.at - stoppedAt} ms`,
        );
        // A crash: the leader's tenure has to run out.
        const killedAt = Date.now();
        await second.worker.kill();
        alive = alive.filter((worker) => worker !== second.worker);
        const third = await nextLeader(alive, second.term);
        console.log(
          `${engine.name}: kill -9 of ${second.worker.name} (term ${second.term}) → ` +
            `${third.worker.name} acting in term ${third.term} after ${third.at - killedAt} ms`,
        );
        const [last] = alive as [WorkerProcess];
        last.send('stop');
        await last.message('stopped');

        const stored = await fresh.store.readStream(STREAM);
        checkTerms(stored);
        expect(new Set(stored.filter(isLed).map((event) => (event.data as Led).node))).toEqual(
          new Set(NODES),
        );
        expect((await fresh.store.readLease(LEASE)).held).toBeUndefined();
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}

function isLed(event: StoredEvent): boolean {
  return event.name === 'led';
}

/** Terms never go back along the stream, and each term was written by one process only. */
function checkTerms(stored: readonly StoredEvent[]): void {
  const writerOfTerm = new Map<number, string>();
  let previous = 0;
  for (const event of stored) {
    const { node, term } = event.data as Led;
    expect(term, `version ${event.version}`).toBeGreaterThanOrEqual(previous);
    previous = term;
    expect(writerOfTerm.get(term) ?? node, `term ${term}`).toBe(node);
    writerOfTerm.set(term, node);
  }
  expect(writerOfTerm.size).toBeGreaterThanOrEqual(3);
}

describeFailover(sqliteCluster);

describeWithPostgres('PostgreSQL', () => {
  describeFailover(postgresCluster);
});

describeWithRedis('Redis', () => {
  describeFailover(redisCluster);
});
