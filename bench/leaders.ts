/**
 * Leader election across processes (`src/leadership/`), on SQLite (one file) and PostgreSQL (one
 * schema), with three real worker processes (`bench/workers/leader-worker.ts`) campaigning for one
 * lease with the default timing, the leader appending a heartbeat event every 20 ms under its term:
 *
 * - `leaders-failover`: the parent `kill -9`s the current leader and times from the kill to the
 *   first event of a higher term; the killed process is replaced, so three always campaign;
 * - `leaders-handover`: the leader closes its campaign (the lease is released at once) and appends
 *   a `handover` event under its old term, which the others answer with `retryNow()`; timed from
 *   the start of the close to the successor's first event.
 *
 * The end of each sample is when the parent's own subscription to the store delivers the new
 * term's first event, on the machine's monotonic clock (a 1 ms poll of the file on SQLite, NOTIFY
 * on PostgreSQL). That is an event read from the store, not a worker's word that it wrote; its
 * delivery adds the notification path, which the breakdown shows (stored → heard) from the
 * writer's own stamp. The events' `at` is not used: it is the writer's wall clock before the
 * append, to the millisecond, and a wall clock can be stepped.
 *
 * After each engine's run a checker reads the whole stream: terms never go back, and no term was
 * written by two processes. PostgreSQL is skipped, with a message, when its server cannot be
 * reached. The successions of the actors built on these leases (OneActor), tick lateness
 * (TickActor) and the request round trip are measured in `bench/elected-actors.ts`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LEASE_TTL_MS, RETRY_JITTER_MS } from '../src/leadership/lease-timing.js';
import {
  ENGINE_NAMES,
  enginesToRun,
  OBSERVER_POLL_MS,
  openArena,
  SQLITE_DEFAULT_POLL_MS,
  type Arena as StoreArena,
  type Engine,
} from './lib/arena.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { Parts, sampledRow } from './lib/durations.js';
import { formatLeaderTables, type LeaderBenchmarkResult, type LeaderRow } from './lib/leader-report.js';
import { LeaderPool, messageForTerm } from './lib/leader-pool.js';
import { machineMillis } from './lib/live-actors.js';
import type { WorkerMessage } from './lib/live-processes.js';
import { checkTerms, TermWatch } from './lib/term-watch.js';

const LEASE = 'leaders-bench';
const STREAM = 'leaders-bench';
const PROCESSES = 3;
const HEARTBEAT_MS = 20;
const FAILOVER_TARGET_MS = 2_000;
const HANDOVER_TARGET_MS = 100;
/** Connections per worker's PostgreSQL pool: a campaign's ask, a renewal and a heartbeat at most. */
const WORKER_POOL_SIZE = 4;
/** How long a new leader may take to be heard before the run is declared broken. */
const SUCCESSION_TIMEOUT_MS = 15_000;

/** One engine's shared store: what the workers open, and the parent's own connection watching it. */
type Arena = StoreArena<TermWatch>;

/**
 * Runs `samples` successions on a fresh store of `engine` with three workers: `succeed` makes one
 * happen and answers the time it took; the stream is checked afterwards.
 */
async function runEngine(
  engine: Engine,
  kind: { label: string; title: string; targetMs: number },
  samples: number,
  options: BenchmarkOptions,
  succeed: (arena: Arena, pool: LeaderPool, parts: Parts) => Promise<number>,
): Promise<LeaderRow> {
  const name = `${kind.title}, ${ENGINE_NAMES[engine]}`;
  const arena = await openArena(
    engine,
    {
      file: `leaders-${kind.label}`,
      schema: `leaders_${kind.label}`,
      poolSize: WORKER_POOL_SIZE,
    },
    options,
    (observer) => TermWatch.start(observer, STREAM),
  );
  const pool = new LeaderPool({
    store: arena.description,
    lease: LEASE,
    stream: STREAM,
    heartbeatMs: HEARTBEAT_MS,
  });
  try {
    await pool.start(PROCESSES);
    await arena.watch.firstAbove(0, SUCCESSION_TIMEOUT_MS);
    const parts = new Parts();
    const samplesMs: number[] = [];
    for (let n = 1; n <= samples; n++) {
      // A random moment against the leader's renewals, so that every phase of its tenure is met.
      await sleep(200 + Math.random() * 500);
      samplesMs.push(await succeed(arena, pool, parts));
      options.progress(`leaders: ${name}: ${n}/${samples}: ${samplesMs.at(-1)!.toFixed(1)} ms`);
    }
    await pool.stop();
    const check = checkTerms(await arena.observer.readStream(STREAM));
    return { ...sampledRow(name, samplesMs, kind.targetMs, parts), check };
  } finally {
    await pool.stop();
    await arena.dispose();
  }
}

/** One `kill -9` of the leader, timed to the first event of a higher term; the process is replaced. */
async function killLeader(arena: Arena, pool: LeaderPool, parts: Parts): Promise<number> {
  const current = arena.watch.latest!;
  const killedAt = machineMillis();
  const { replace } = await pool.kill(current.node);
  // The dead holder's tenure, as the store judges it: what the followers must wait out.
  const askedAt = machineMillis();
  const lease = await arena.observer.readLease(LEASE);
  const tenureEndsAt = askedAt + (lease.held?.expiresInMs ?? 0);
  const next = await arena.watch.firstAbove(current.term, SUCCESSION_TIMEOUT_MS);
  const successor = pool.workerOf(next.node);
  const elected = await messageForTerm(successor, 'elected', next.term);
  const acting = await messageForTerm(successor, 'acting', next.term);
  parts.add('dead leader’s tenure left at the kill', tenureEndsAt - killedAt);
  parts.add('tenure end → elected (retry jitter, the ask)', elected.at - tenureEndsAt);
  parts.add('elected → first event stored', acting.at - elected.at);
  parts.add('stored → heard by the parent', next.heardAt - acting.at);
  await replace();
  return next.heardAt - killedAt;
}

/** One graceful handover, timed from the start of the leader's close to its successor's first event. */
async function handOver(arena: Arena, pool: LeaderPool, parts: Parts): Promise<number> {
  const current = arena.watch.latest!;
  const leader = pool.workerOf(current.node);
  leader.send('handover');
  const next = await arena.watch.firstAbove(current.term, SUCCESSION_TIMEOUT_MS);
  const done = await leader.next<
    WorkerMessage & { closingAt: number; releasedAt: number; handoverStoredAt: number }
  >('handed-over', SUCCESSION_TIMEOUT_MS);
  const successor = pool.workerOf(next.node);
  const elected = await messageForTerm(successor, 'elected', next.term);
  const acting = await messageForTerm(successor, 'acting', next.term);
  parts.add('close: step down, release the lease', done.releasedAt - done.closingAt);
  parts.add('release → handover event stored', done.handoverStoredAt - done.releasedAt);
  parts.add('handover stored → successor elected (hearing it, the ask)', elected.at - done.handoverStoredAt);
  parts.add('elected → first event stored', acting.at - elected.at);
  parts.add('stored → heard by the parent', next.heardAt - acting.at);
  // The old leader campaigns again, as a standby, once its successor acts.
  leader.send('campaign');
  await leader.next('campaigning', SUCCESSION_TIMEOUT_MS);
  return next.heardAt - done.closingAt;
}

function leadersBenchmark(
  name: string,
  kind: { label: string; title: string; targetMs: number },
  succeed: (arena: Arena, pool: LeaderPool, parts: Parts) => Promise<number>,
): Benchmark {
  return {
    name,
    formatTable: formatLeaderTables,
    async run(options): Promise<LeaderBenchmarkResult> {
      const notes: string[] = [];
      const { engines, settings } = await enginesToRun(name, options, notes, {
        settings: {
          processes: PROCESSES,
          heartbeatMs: HEARTBEAT_MS,
          leaseTiming: 'defaults',
          ttlMs: DEFAULT_LEASE_TTL_MS,
          retryJitterMs: RETRY_JITTER_MS,
          sqliteSynchronous: options.synchronous,
          sqliteWorkerPollMs: SQLITE_DEFAULT_POLL_MS,
          sqliteObserverPollMs: OBSERVER_POLL_MS,
        },
        poolSize: WORKER_POOL_SIZE,
        skipped: 'PostgreSQL',
      });
      const samples = options.quick ? 5 : 20;
      const rows: LeaderRow[] = [];
      for (const engine of engines) {
        options.progress(`${name}: ${ENGINE_NAMES[engine]}: ${samples} × ${kind.title}`);
        rows.push(await runEngine(engine, kind, samples, options, succeed));
      }
      return {
        benchmark: name,
        description: `${kind.title}: ${PROCESSES} processes, default lease timing, a heartbeat every ${HEARTBEAT_MS} ms`,
        settings: { ...settings, samplesPerEngine: samples },
        cases: [],
        rows,
        notes,
      };
    },
  };
}

export const leadersFailover = leadersBenchmark(
  'leaders-failover',
  { label: 'failover', title: 'failover after kill -9', targetMs: FAILOVER_TARGET_MS },
  killLeader,
);

export const leadersHandover = leadersBenchmark(
  'leaders-handover',
  { label: 'handover', title: 'graceful handover', targetMs: HANDOVER_TARGET_MS },
  handOver,
);

export const leadersBenchmarks: readonly Benchmark[] = [leadersFailover, leadersHandover];
