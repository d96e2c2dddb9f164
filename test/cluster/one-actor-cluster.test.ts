/**
 * `OneActor` across real processes: three nodes hold one id (`workers/one-worker.ts`) on a shared
 * SQLite file and on PostgreSQL, and all of them fire all the time, each event carrying a ref the
 * node chose. The leader is then killed with SIGKILL (on the library's default timings), or paused
 * with SIGSTOP for three lease TTLs and woken (on short ones).
 *
 * After each, a checker reads the store and proves: versions 1..N with no gap; each ref once, and
 * only refs some node fired; every `Fire` that resolved (the killed node's too, for those it
 * reported before dying) at the version it was told; every request in the request stream served
 * by exactly one event, whichever leader served it, during the failover too; no `Fire` rejected;
 * and every surviving node's state holds exactly the stream's refs, in order: nothing applied
 * twice. The woken leader must say that its append was fenced out, and every event it had queued
 * must still be stored, once, by its successor. Every event names the term of the leader that
 * appended it, and terms never go down along the versions: no deposed leader wrote after its
 * successor. Failover times are printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/index.js';
import { describeWithPostgres } from '../engines/postgres/server.js';
import { Cluster, type WorkerMessage, type WorkerProcess } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS } from './live-actor-cluster.js';
import {
  postgresCluster,
  redisCluster,
  sqliteCluster,
  type ClusterEngine,
  type FreshSharedStore,
} from './shared-stores.js';
import { QuickLedger } from './workers/elected-actors.js';
import type { OneWorkerConfig } from './workers/one-worker.js';
import { describeWithRedis } from '../engines/redis/server.js';

const NODES = ['node-a', 'node-b', 'node-c'];
const ID = 'ledger';
const FIRERS = 2;

interface StoppedMessage extends WorkerMessage {
  readonly fired: string[];
  readonly rejected: Array<{ ref: string; error: string }>;
}

interface ConvergedMessage extends WorkerMessage {
  readonly version: number;
  readonly refs: string[];
}

/** What a node was told is stored: each resolved `Fire`'s ref and version, as it reported them. */
function acknowledged(worker: WorkerProcess): Array<{ ref: string; version: number }> {
  return worker
    .messagesOf('fired')
    .map((message) => ({ ref: message['ref'] as string, version: message['version'] as number }));
}

function refOf(event: StoredEvent): string {
  return (event.data as { ref: string }).ref;
}

function oneTo(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

/** Waits until one of `workers` says it leads, after `since` (the `at` of its message), and returns it. */
async function leaderAmong(
  workers: readonly WorkerProcess[],
  since = 0,
): Promise<{ worker: WorkerProcess; at: number }> {
  const leadsSince = (worker: WorkerProcess) =>
    worker.messagesOf('leading').find((message) => (message['at'] as number) >= since);
  const found = () => workers.find((worker) => leadsSince(worker) !== undefined);
  await Promise.race(workers.map((worker) => worker.until(() => found() !== undefined)));
  const worker = found() as WorkerProcess;
  return { worker, at: leadsSince(worker)?.['at'] as number };
}

/** Waits until each of `workers` has reported `more` resolved Fires beyond what it had reported before. */
async function eachFiresMore(workers: readonly WorkerProcess[], more: number): Promise<void> {
  const before = workers.map((worker) => worker.messagesOf('fired').length);
  await Promise.all(
    workers.map((worker, index) =>
      worker.until(() => worker.messagesOf('fired').length >= (before[index] as number) + more),
    ),
  );
}

/** Asks every worker whether it leads, until exactly one does (an election may be under way). */
async function currentLeader(workers: readonly WorkerProcess[]): Promise<WorkerProcess> {
  for (;;) {
    const asked = workers.map((worker) => worker.messagesOf('status').length);
    for (const worker of workers) worker.send('status');
    await Promise.all(
      workers.map((worker, index) =>
        worker.until(() => worker.messagesOf('status').length > (asked[index] as number)),
      ),
    );
    const leaders = workers.filter((worker) => worker.messagesOf('status').at(-1)?.['isLeader'] === true);
    if (leaders.length === 1) return leaders[0] as WorkerProcess;
    await sleep(50);
  }
}

/** Whether the process is stopped (SIGSTOP), as Linux reports it. */
function isStopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

async function untilStopped(pid: number): Promise<void> {
  while (!isStopped(pid)) await sleep(2);
}

/**
 * Proves the checker's claims on what `fresh` stores, given what each node reported: `stopped` for
 * the nodes that stopped firing (everything they fired), `killed` for the one killed (what it
 * reported before it died). Returns the stream.
 */
async function checkLedger(
  fresh: FreshSharedStore,
  stopped: ReadonlyMap<WorkerProcess, StoppedMessage>,
  killed: WorkerProcess | undefined,
): Promise<StoredEvent[]> {
  const stored = await fresh.store.readStream(ID);
  expect(stored.map((event) => event.version)).toEqual(oneTo(stored.length));
  // Every event was appended by a leader, and no deposed leader wrote after its successor: the
  // terms never go down along the versions.
  const terms = stored.map((event) => (event.meta as { term?: unknown }).term);
  expect(terms.every((term) => typeof term === 'number' && term >= 1)).toBe(true);
  expect(terms).toEqual([...(terms as number[])].sort((a, b) => a - b));
  expect(new Set(stored.map((event) => event.id)).size).toBe(stored.length);
  const versionOfRef = new Map(stored.map((event) => [refOf(event), event.version]));
  expect(versionOfRef.size, 'each ref is stored once').toBe(stored.length);

  for (const [worker, { fired, rejected }] of stopped) {
    expect(rejected, `${worker.name} had Fires rejected`).toEqual([]);
    // Everything it fired resolved, and that is exactly what it has in the stream.
    expect(new Set(stored.map(refOf).filter((ref) => ref.startsWith(`${worker.name}-`)))).toEqual(
      new Set(fired),
    );
  }
  for (const worker of [...stopped.keys(), ...(killed === undefined ? [] : [killed])]) {
    for (const { ref, version } of acknowledged(worker)) {
      expect(versionOfRef.get(ref), `${ref}, acknowledged by ${worker.name}`).toBe(version);
    }
  }
  // Nothing nobody fired: the rest is what the killed node fired, maybe unacknowledged when it died.
  const fromStopped = new Set([...stopped.values()].flatMap((message) => message.fired));
  const others = stored.map(refOf).filter((ref) => !fromStopped.has(ref));
  const killedRef = killed === undefined ? /^$/ : new RegExp(`^${killed.name}-\\d+$`);
  expect(others.filter((ref) => !killedRef.test(ref))).toEqual([]);

  // Each request was served by one event exactly, with its id, whichever leader served it.
  const requests = (await fresh.store.readStream(`$requests:${ID}`)).filter(
    (record) => record.name === 'request',
  );
  expect(requests.length).toBeGreaterThan(0);
  const servedBy = new Map<string, StoredEvent[]>();
  for (const event of stored) servedBy.set(event.id, [...(servedBy.get(event.id) ?? []), event]);
  for (const request of requests) {
    const eventId = (request.meta as { eventId: string }).eventId;
    const served = servedBy.get(eventId) ?? [];
    expect(served, `request ${request.version} (${eventId})`).toHaveLength(1);
    expect(served[0]?.meta).toMatchObject({ request: request.version });
  }
  return stored;
}

/** Each node applied every stored event once, in version order, and nothing else. */
async function checkConverged(workers: readonly WorkerProcess[], stored: readonly StoredEvent[]) {
  for (const worker of workers) worker.send('converge', { version: stored.length });
  const converged = await Promise.all(workers.map((worker) => worker.message<ConvergedMessage>('converged')));
  for (const { version, refs } of converged) {
    expect(version).toBe(stored.length);
    expect(refs).toEqual(stored.map(refOf));
  }
}

/** Stops the firing on each node and waits until every Fire it made has settled. */
async function stopFiring(workers: readonly WorkerProcess[]): Promise<Map<WorkerProcess, StoppedMessage>> {
  for (const worker of workers) worker.send('stop');
  const stopped = await Promise.all(workers.map((worker) => worker.message<StoppedMessage>('stopped')));
  return new Map(workers.map((worker, index) => [worker, stopped[index] as StoppedMessage]));
}

function describeOneActorCluster(engine: ClusterEngine): void {
  describe(`OneActor across three processes on ${engine.name}`, () => {
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

    function startNodes(settings: OneWorkerConfig['settings']): WorkerProcess[] {
      return NODES.map((node) =>
        cluster.start('one-worker', node, {
          node,
          id: ID,
          settings,
          firers: FIRERS,
        } satisfies OneWorkerConfig),
      );
    }

    it(
      'after kill -9 of the leader while every node fires, another leads and serves: every resolved ' +
        'Fire is stored once, every request applied once, nothing else stored, no gap',
      async () => {
        const workers = startNodes('defaults');
        await cluster.go();
        const { worker: leader } = await leaderAmong(workers);
        await eachFiresMore(workers, 10);

        const killedAt = Date.now();
        await leader.kill();
        const survivors = workers.filter((worker) => worker !== leader);
        const successor = await leaderAmong(survivors, killedAt);
        // Both survivors' Fires are served again, through the failover.
        await eachFiresMore(survivors, 10);
        console.log(
          `${engine.name}: kill -9 of the leader ${leader.name} (default timings) → ` +
            `${successor.worker.name} leads after ${successor.at - killedAt} ms`,
        );

        const stopped = await stopFiring(survivors);
        const stored = await checkLedger(fresh, stopped, leader);
        // Some events were served after the kill, for each survivor.
        const killedLast = Math.max(0, ...acknowledged(leader).map(({ version }) => version));
        for (const survivor of survivors) {
          expect(
            stored.some(
              (event) => event.version > killedLast && refOf(event).startsWith(`${survivor.name}-`),
            ),
          ).toBe(true);
        }
        await checkConverged(survivors, stored);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );

    it(
      'a leader paused past its lease (SIGSTOP) is fenced out when it wakes: it says so, and its queued ' +
        'Fires are served once by its successor',
      async () => {
        const workers = startNodes('fast');
        await cluster.go();
        await leaderAmong(workers);
        await eachFiresMore(workers, 10);

        // Everything quiet, so that nothing is under way in the leader when it is paused: the
        // first thing it does when it wakes is to append its queued Fires under its old term.
        for (const worker of workers) worker.send('hold');
        await Promise.all(workers.map((worker) => worker.message('held')));
        // The leader now (on a busy machine a slow leader may have been replaced while firing).
        const paused = await currentLeader(workers);
        const others = workers.filter((worker) => worker !== paused);
        paused.send('freeze', { count: 5 });
        await untilStopped(paused.pid as number);
        const pausedAt = Date.now();
        for (const worker of others) worker.send('resume');
        const successor = await leaderAmong(others, pausedAt);
        // The others are served by the successor while the old leader sleeps.
        await eachFiresMore(others, 10);
        await sleep(pausedAt + 3 * QuickLedger.leaseTtlMs - Date.now());
        process.kill(paused.pid as number, 'SIGCONT');
        const wokenAt = Date.now();
        console.log(
          `${engine.name}: ${paused.name} paused for ${wokenAt - pausedAt} ms; ` +
            `${successor.worker.name} led after ${successor.at - pausedAt} ms`,
        );

        const freezing = await paused.message('freezing');
        expect(freezing['isLeader']).toBe(true);
        const queued = freezing['refs'] as string[];
        // Every Fire it had queued resolves: sent on to the new leader as a request.
        await paused.until(() => queued.every((ref) => acknowledged(paused).some((ack) => ack.ref === ref)));
        await paused.until(() => paused.messagesOf('following').length > 0);
        console.log(
          `${engine.name}: the woken leader's ${queued.length} queued Fires resolved ` +
            `${Date.now() - wokenAt} ms after it woke`,
        );
        // Its own append under the old term was refused by the store, and it said so as it stepped
        // down (before sending those Fires on).
        expect(paused.messagesOf('log')).toContainEqual(
          expect.objectContaining({
            level: 'warn',
            message: 'a successor leads: this leader steps down',
            code: 'FENCED',
          }),
        );
        paused.send('resume');
        await eachFiresMore(workers, 5);

        const stopped = await stopFiring(workers);
        const stored = await checkLedger(fresh, stopped, undefined);
        for (const ref of queued) {
          const event = stored.find((each) => refOf(each) === ref);
          // Served by the successor for the request the woken node sent.
          expect(event?.meta, ref).toMatchObject({ request: expect.any(Number) });
        }
        await checkConverged(workers, stored);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}

describeOneActorCluster(sqliteCluster);

describeWithPostgres('PostgreSQL', () => {
  describeOneActorCluster(postgresCluster);
});

describeWithRedis('Redis', () => {
  describeOneActorCluster(redisCluster);
});
