/**
 * `TickActor` across real processes: three nodes hold one `Metronome` (a tick every 100 ms,
 * `workers/tick-worker.ts`) on a shared SQLite file and on PostgreSQL. The ticking leader is killed
 * with SIGKILL, then its successor is, then the last node too, and three fresh processes start.
 *
 * A checker then reads the stream and proves that ticking went on across both failovers and the
 * full restart without a repeat or a gap: only ticks, tick n at version n for n = 1..N, each tick's
 * planned time (`data.at`) at least a resolution after the one before, each stored no earlier than
 * planned (envelope `at` ≥ `data.at`), each id once. How long ticking paused each time is printed,
 * never asserted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent, TickData } from '../../src/index.js';
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
import { Metronome } from './workers/elected-actors.js';
import type { TickWorkerConfig } from './workers/tick-worker.js';
import { describeWithRedis } from '../engines/redis/server.js';

const ID = 'metronome';
/** Ticks stored after each change before the next one: ticking has plainly resumed. */
const TICKS_BETWEEN = 5;

function tickOf(event: StoredEvent): TickData {
  return event.data as unknown as TickData;
}

/** Ticks are numbered 1..N in version order, a resolution apart at least, none stored early, no id twice. */
function checkTicks(stored: readonly StoredEvent[]): void {
  expect(stored.map((event) => event.name)).toEqual(stored.map(() => 'tick'));
  expect(stored.map((event) => tickOf(event).n)).toEqual(stored.map((event) => event.version));
  expect(stored.map((event) => event.version)).toEqual(stored.map((_, index) => index + 1));
  expect(new Set(stored.map((event) => event.id)).size).toBe(stored.length);
  // Each tick names the term of the leader that fired it; no deposed leader ticked after its successor.
  const terms = stored.map((event) => (event.meta as { term?: unknown }).term as number);
  expect(terms.every((term) => Number.isInteger(term) && term >= 1)).toBe(true);
  expect(terms).toEqual([...terms].sort((a, b) => a - b));
  stored.forEach((event, index) => {
    const planned = Date.parse(tickOf(event).at);
    expect(Date.parse(event.at), `tick ${index + 1} stored before it was planned`).toBeGreaterThanOrEqual(
      planned,
    );
    if (index === 0) return;
    const previous = Date.parse(tickOf(stored[index - 1] as StoredEvent).at);
    expect(planned - previous, `tick ${index + 1} planned too soon`).toBeGreaterThanOrEqual(
      Metronome.resolution,
    );
  });
}

function describeTickActorCluster(engine: ClusterEngine): void {
  describe(`TickActor across three processes on ${engine.name}`, () => {
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

    /** Starts one node per name and lets them load together. */
    async function startNodes(nodes: readonly string[]): Promise<WorkerProcess[]> {
      const workers = nodes.map((node) =>
        cluster.start('tick-worker', node, { node, id: ID } satisfies TickWorkerConfig),
      );
      await Promise.all(workers.map((worker) => worker.message('ready')));
      for (const worker of workers) worker.send('go');
      return workers;
    }

    /** Waits until `count` ticks are stored; says when the first beyond `after` was stored (parent's clock). */
    async function ticksUntil(count: number, after: number): Promise<number | undefined> {
      let resumedAt: number | undefined;
      for (;;) {
        const version = await fresh.store.streamVersion(ID);
        if (version > after) resumedAt ??= Date.now();
        if (version >= count) return resumedAt;
        await sleep(10);
      }
    }

    /** The node of `workers` that leads now: the last to say `leading`, without a later `following`. */
    function leaderOf(workers: readonly WorkerProcess[]): WorkerProcess | undefined {
      return workers.find((worker) => {
        const changes = worker.messages.filter(
          (message) => message.type === 'leading' || message.type === 'following',
        );
        return changes.at(-1)?.type === 'leading';
      });
    }

    async function untilOneLeads(workers: readonly WorkerProcess[]): Promise<WorkerProcess> {
      await Promise.race(workers.map((worker) => worker.until(() => leaderOf(workers) !== undefined)));
      return leaderOf(workers) as WorkerProcess;
    }

    it(
      'ticks n = 1..N with no repeat and no gap across two leader kills and a full restart',
      async () => {
        let alive = await startNodes(['node-a', 'node-b', 'node-c']);
        await ticksUntil(TICKS_BETWEEN, 0);

        for (const round of [1, 2]) {
          const leader = await untilOneLeads(alive);
          await leader.kill();
          const killedAt = Date.now();
          alive = alive.filter((worker) => worker !== leader);
          const storedAtKill = await fresh.store.streamVersion(ID);
          const resumedAt = await ticksUntil(storedAtKill + TICKS_BETWEEN, storedAtKill);
          const successor = await untilOneLeads(alive);
          console.log(
            `${engine.name}: kill -9 #${round} of the ticking ${leader.name} → ${successor.name} ` +
              `ticks again after ${(resumedAt as number) - killedAt} ms (at tick ${storedAtKill + 1})`,
          );
        }

        for (const worker of alive) await worker.kill();
        const storedAtRestart = await fresh.store.streamVersion(ID);
        const restartedAt = Date.now();
        const restarted = await startNodes(['node-d', 'node-e', 'node-f']);
        const resumedAt = await ticksUntil(storedAtRestart + TICKS_BETWEEN, storedAtRestart);
        console.log(
          `${engine.name}: all killed at tick ${storedAtRestart}; three fresh processes tick again ` +
            `after ${(resumedAt as number) - restartedAt} ms`,
        );
        // A graceful end: the leader hands over, the others stop in turn.
        for (const worker of restarted) {
          worker.send('stop');
          await worker.message('stopped');
        }

        const stored = await fresh.store.readStream(ID);
        checkTicks(stored);
        // The fresh processes went on from the last stored tick: the next one stands for the slots
        // nobody ticked while every process was down.
        const resumed = tickOf(stored[storedAtRestart] as StoredEvent);
        expect(resumed.n).toBe(storedAtRestart + 1);
        expect(resumed.missed).toBeGreaterThanOrEqual(1);
        for (const worker of [...cluster.workers]) expect(worker.messagesOf('error')).toEqual([]);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}

describeTickActorCluster(sqliteCluster);

describeWithPostgres('PostgreSQL', () => {
  describeTickActorCluster(postgresCluster);
});

describeWithRedis('Redis', () => {
  describeTickActorCluster(redisCluster);
});
