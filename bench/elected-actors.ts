/**
 * OneActor and TickActor across processes (`src/actors/elected-policy.ts`), on SQLite (one file)
 * and PostgreSQL (one schema), with three real worker processes (`bench/workers/elected-worker.ts`)
 * holding one actor id, every setting at its default (request timeout 1000 ms, lease TTL 1500 ms):
 *
 * - `leaders-one-failover`: the two followers fire a request every 10 ms without awaiting it; the
 *   parent `kill -9`s the leader and times from the kill to the first event the new leader stores.
 *   The killed process is replaced, so three instances always hold the id.
 * - `leaders-one-handover`: the same, but the leader's process calls `Dispose()`; timed from the
 *   call, stamped by that process, to the first event the new leader stores.
 * - `leaders-tick-lateness`: three processes hold a TickActor; from the first tick after all three
 *   have loaded it, how late each tick is stored after its planned time (envelope `at` − `data.at`,
 *   both the leader's reading of the store's clock), that none is early, and how late the parent's
 *   subscription hears it (its wall clock − `data.at`; the store runs on this machine, so its clock
 *   is the machine's).
 * - `leaders-round-trip`: one follower fires one request at a time, each awaited; how long until
 *   its `Fire` resolves, until the other follower applies it, and until the last of the three
 *   processes does, on the machine's monotonic clock (each process's handler notes it). Next to it,
 *   the same with a LiveActor on three processes.
 * - `redis-failover`: `leaders-one-failover` on Redis (one key prefix), in the `redis` group.
 *
 * The end of a succession sample is when the parent's own subscription to the store delivers the
 * new leader's first event of the actor's stream (a 1 ms poll of the file on SQLite, NOTIFY on
 * PostgreSQL, pub/sub on Redis), on the machine's monotonic clock: an event read from the store, not a worker's word.
 * The new leader's events are told apart by position: each is after its `elected` record, which it
 * writes under its term before serving anything, and from which on the old term is fenced out.
 *
 * After each succession run a checker reads both streams: every request stored exactly once and
 * none refused, every event serving the request it names (or fired by its leader itself), versions
 * without a gap, `elected` terms only growing; it counts the terms against the changes made, since
 * a second follower may take the lease over from the successor too. After each tick run: tick
 * numbers consecutive, each planned a resolution after the one before (or as many more as the
 * slots it skips). PostgreSQL is skipped, with a message, when its server cannot be reached.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { OneActor, type EventStore, type StoredEvent, type TickData } from '../src/index.js';
import {
  ENGINE_NAMES,
  enginesToRun,
  OBSERVER_POLL_MS,
  openArena,
  SQLITE_DEFAULT_POLL_MS,
  type Arena as StoreArena,
  type Engine,
  type EngineChoice,
} from './lib/arena.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { Parts, percentiles, sampledRow, type LeaderPart } from './lib/durations.js';
import { ElectedPool } from './lib/elected-pool.js';
import {
  formatElectedTables,
  type ElectedBenchmarkResult,
  type ElectedCheck,
  type RoundTripRow,
  type SuccessionRow,
  type TickRow,
} from './lib/elected-report.js';
import { ElectedWatch, REQUEST_STREAM_PREFIX, termOf, type Heard } from './lib/elected-watch.js';
import { machineMillis } from './lib/live-actors.js';
import { describeRedisUrl, redisServerInfo } from './lib/redis-bench.js';
import type { WorkerMessage } from './lib/live-processes.js';
import type { PingData } from './workers/elected-worker.js';

const PROCESSES = 3;
/** How often each follower fires a request in the succession cases, without awaiting it. */
const BEAT_INTERVAL_MS = 10;
const FAILOVER_TARGET_MS = 2_000;
const HANDOVER_TARGET_MS = 100;
const TICK_TARGET_MS = 20;
const ROUND_TRIP_TARGET_MS = 10;
/** Connections per worker's PostgreSQL pool. */
const WORKER_POOL_SIZE = 4;
/** How long a new leader may take to be heard before the run is declared broken. */
const SUCCESSION_TIMEOUT_MS = 15_000;

/** One case's shared store: what the workers open, and the parent's own connection watching the id. */
type Arena = StoreArena<ElectedWatch>;

function openElectedArena(
  engine: Engine,
  label: string,
  id: string,
  options: BenchmarkOptions,
  sqlitePollMs = SQLITE_DEFAULT_POLL_MS,
): Promise<Arena> {
  return openArena(
    engine,
    { file: `elected-${label}`, schema: `elected_${label}`, sqlitePollMs, poolSize: WORKER_POOL_SIZE },
    options,
    (observer) => ElectedWatch.start(observer, id),
  );
}

/** The engines to run: SQLite always, PostgreSQL when its server answers (else a note says why not). */
function electedEngines(
  benchmark: string,
  options: BenchmarkOptions,
  notes: string[],
): Promise<EngineChoice> {
  return enginesToRun(benchmark, options, notes, {
    settings: {
      processes: PROCESSES,
      actorSettings: 'defaults',
      requestTimeoutMs: OneActor.requestTimeoutMs,
      leaseTtlMs: OneActor.leaseTtlMs,
      sqliteSynchronous: options.synchronous,
      sqliteWorkerPollMs: SQLITE_DEFAULT_POLL_MS,
      sqliteObserverPollMs: OBSERVER_POLL_MS,
    },
    poolSize: WORKER_POOL_SIZE,
    skipped: 'PostgreSQL',
  });
}

// ---------------------------------------------------------------------------------------------
// OneActor successions

/** What a succession gives back: its duration, and the requests waiting when the successor was elected. */
interface Succession {
  readonly millis: number;
  readonly backlog: number;
}

interface SuccessionKind {
  readonly label: string;
  readonly title: string;
  readonly targetMs: number;
  /** What each sample is: `kills`, `handovers`. */
  readonly changes: string;
}

type Succeed = (arena: Arena, pool: ElectedPool, id: string, parts: Parts) => Promise<Succession>;

/**
 * Runs `samples` successions on a fresh store of `engine`, with three workers holding one OneActor
 * id and the followers firing all along: `succeed` makes one happen and answers the time it took.
 * Both streams are checked afterwards.
 */
async function runSuccessions(
  engine: Engine,
  kind: SuccessionKind,
  samples: number,
  options: BenchmarkOptions,
  succeed: Succeed,
): Promise<SuccessionRow> {
  const name = `${kind.title}, ${ENGINE_NAMES[engine]}`;
  const id = `one-${kind.label}`;
  const arena = await openElectedArena(engine, kind.label, id, options);
  const pool = new ElectedPool({
    config: { store: arena.description, kind: 'one', id },
    onStart: (worker) => worker.send('fire-every', { intervalMs: BEAT_INTERVAL_MS }),
  });
  try {
    await pool.start(PROCESSES);
    await arena.watch.first('events', () => true, SUCCESSION_TIMEOUT_MS, 'first served request');
    const parts = new Parts();
    const samplesMs: number[] = [];
    const backlogs: number[] = [];
    // How many leaders each change elected, counted up to the next change (or the end).
    const elections: number[] = [];
    const elected = () => arena.watch.records.filter((heard) => heard.event.name === 'elected');
    let electedBefore = 0;
    const countElections = () => {
      const since = elected().slice(electedBefore);
      elections.push(since.length);
      if (since.length > 1) {
        parts.add(
          'successor’s `elected` → another follower’s `elected` (after the changes that had one)',
          since[1]!.heardAt - since[0]!.heardAt,
        );
      }
    };
    for (let n = 1; n <= samples; n++) {
      // A random moment against the leader's renewals and the followers' requests.
      await sleep(200 + Math.random() * 500);
      if (n > 1) countElections();
      electedBefore = elected().length;
      const { millis, backlog } = await succeed(arena, pool, id, parts);
      samplesMs.push(millis);
      backlogs.push(backlog);
      options.progress(`${name}: ${n}/${samples}: ${millis.toFixed(1)} ms, ${backlog} requests waiting`);
    }
    const quiet = await Promise.all(
      pool.nodes.map((node) => {
        const worker = pool.workerOf(node);
        worker.send('stop-firing');
        return worker.next<QuietMessage>('quiet', 60_000);
      }),
    );
    countElections();
    await pool.stop();
    const { check, terms, warnings } = await checkServed(arena.observer, id, samples, kind.changes, quiet);
    // Another follower whose request still waited took the lease from the successor as well.
    const doubled = elections.filter((count) => count > 1).length;
    if (doubled > 0) {
      check.summary += `; after ${doubled} of ${samples} ${kind.changes} a second follower took the lease over too`;
    }
    return {
      ...sampledRow(name, samplesMs, kind.targetMs, parts),
      backlogs,
      elections,
      terms,
      warnings,
      check,
    };
  } finally {
    await pool.stop();
    await arena.dispose();
  }
}

interface QuietMessage extends WorkerMessage {
  readonly beats: number;
  readonly beatFailureCount: number;
  readonly beatFailures: readonly string[];
  readonly warnings: Readonly<Record<string, number>>;
  readonly errors: readonly string[];
}

/** The highest request served by the events stored up to `version` (events carry `meta.request`). */
function servedThrough(watch: ElectedWatch, version: number): number {
  let served = 0;
  for (const { event } of watch.events) {
    const request = event.meta['request'];
    if (event.version <= version && typeof request === 'number') served = Math.max(served, request);
  }
  return served;
}

/**
 * The first request left unserved when the old leader stopped serving, and how many requests were
 * stored but unserved when the successor's `elected` record was stored.
 */
function unserved(watch: ElectedWatch, served: number, elected: Heard): { first: Heard; backlog: number } {
  const waiting = watch.records.filter(
    (heard) => heard.event.name === 'request' && heard.event.version > served,
  );
  const first = waiting[0];
  if (first === undefined) throw new Error(`no request after version ${served} was heard`);
  const backlog = waiting.filter((heard) => heard.event.position < elected.event.position).length;
  return { first, backlog };
}

/** One `kill -9` of the leader's process, timed to the new leader's first stored event; the process is replaced. */
const killLeader: Succeed = async (arena, pool, id, parts) => {
  const { watch, observer } = arena;
  const leader = await pool.leader(SUCCESSION_TIMEOUT_MS);
  const term = watch.term;
  const killedAt = machineMillis();
  const { replace } = await pool.kill(leader);
  // Read once the process is gone: whatever is stored beyond this, the dead leader did not store.
  const versionAtDeath = await observer.streamVersion(id);
  const { elected, first } = await watch.successorAbove(term, SUCCESSION_TIMEOUT_MS);
  if (first.event.version <= versionAtDeath) {
    throw new Error(
      `the successor's first event has version ${first.event.version}, not above ${versionAtDeath}`,
    );
  }
  const waiting = unserved(watch, servedThrough(watch, versionAtDeath), elected);
  parts.add('kill → first request left unserved is heard', waiting.first.heardAt - killedAt);
  parts.add(
    'that request → successor’s `elected` heard (request timeout, lease read, take-over, catch-up)',
    elected.heardAt - waiting.first.heardAt,
  );
  parts.add('`elected` → first served event heard', first.heardAt - elected.heardAt);
  await replace();
  return { millis: first.heardAt - killedAt, backlog: waiting.backlog };
};

/** One `Dispose()` of the leader, timed from the call to the new leader's first stored event; the process is replaced. */
const disposeLeader: Succeed = async (arena, pool, _id, parts) => {
  const { watch } = arena;
  const leader = await pool.leader(SUCCESSION_TIMEOUT_MS);
  const term = watch.term;
  const worker = pool.workerOf(leader);
  worker.send('dispose');
  const done = await worker.next<WorkerMessage & { disposingAt: number; disposedAt: number }>(
    'disposed',
    SUCCESSION_TIMEOUT_MS,
  );
  const { elected, first } = await watch.successorAbove(term, SUCCESSION_TIMEOUT_MS);
  const handover = await watch.first(
    'records',
    (heard) => heard.event.name === 'handover' && termOf(heard.event) === term,
    SUCCESSION_TIMEOUT_MS,
    `handover record of term ${term}`,
  );
  const lastServed = watch.events.filter((heard) => heard.event.position < elected.event.position).at(-1);
  const waiting = unserved(watch, servedThrough(watch, lastServed?.event.version ?? 0), elected);
  parts.add(
    'Dispose → `handover` heard (release the lease, write the record)',
    handover.heardAt - done.disposingAt,
  );
  parts.add(
    '`handover` → successor’s `elected` heard (hear it, ask, catch up)',
    elected.heardAt - handover.heardAt,
  );
  parts.add('`elected` → first served event heard', first.heardAt - elected.heardAt);
  parts.add('Dispose call → it resolved, on the old leader', done.disposedAt - done.disposingAt);
  await pool.retire(leader);
  return { millis: first.heardAt - done.disposingAt, backlog: waiting.backlog };
};

/**
 * Every request stored exactly once in the actor's stream and none refused, versions 1…n, the
 * `elected` terms only growing; the followers' beats all resolved and no leader was fenced out.
 */
async function checkServed(
  store: EventStore,
  id: string,
  changes: number,
  changesName: string,
  quiet: readonly QuietMessage[],
): Promise<{
  check: { summary: string; problems: string[] };
  terms: number;
  warnings: Record<string, number>;
}> {
  const events = await store.readStream(id);
  const records = await store.readStream(`${REQUEST_STREAM_PREFIX}${id}`);
  const problems: string[] = [];
  const stored = new Map<string, number>();
  events.forEach((event, index) => {
    if (event.version !== index + 1) problems.push(`event ${index} has version ${event.version}`);
    stored.set(event.id, (stored.get(event.id) ?? 0) + 1);
  });
  for (const [eventId, times] of stored) if (times > 1) problems.push(`${eventId} stored ${times} times`);
  // The event id each request record asks for, by the record's version.
  const asked = new Map<number, string>();
  const requestsOf = new Map<string, number>();
  let lastTerm = 0;
  let terms = 0;
  for (const record of records) {
    if (record.name === 'request') {
      const eventId = record.meta['eventId'] as string;
      asked.set(record.version, eventId);
      requestsOf.set(eventId, (requestsOf.get(eventId) ?? 0) + 1);
      if (!stored.has(eventId)) problems.push(`request ${record.version} (${eventId}) never stored`);
    } else if (record.name === 'refused') {
      problems.push(`request ${(record.data as { request: number }).request} refused`);
    } else if (record.name === 'elected') {
      const term = termOf(record);
      if (term <= lastTerm) problems.push(`elected term ${term} after term ${lastTerm}`);
      lastTerm = Math.max(lastTerm, term);
      terms++;
    }
  }
  // An event either serves a request (`meta.request`, with the id that request asked for) or was
  // fired by its leader itself: a beat fired just before its process was elected, appended after.
  let own = 0;
  for (const event of events) {
    const request = event.meta['request'];
    if (typeof request !== 'number') own++;
    else if (asked.get(request) !== event.id) {
      problems.push(`event ${event.version} says it serves request ${request}, which asked for another id`);
    }
  }
  const resent = [...requestsOf.values()].filter((count) => count > 1).length;
  for (const message of quiet) {
    if (message.beatFailureCount > 0) {
      problems.push(`${message.beatFailureCount} requests failed, such as ${message.beatFailures[0]}`);
    }
    if (message.errors.length > 0) problems.push(`reported ${message.errors.slice(0, 2).join('; ')}`);
  }
  const warnings: Record<string, number> = {};
  for (const message of quiet) {
    for (const [warning, count] of Object.entries(message.warnings)) {
      warnings[warning] = (warnings[warning] ?? 0) + count;
    }
  }
  const warned = Object.entries(warnings).map(([warning, count]) => `${count} × "${warning}"`);
  const check: { summary: string; problems: string[] } = {
    summary:
      `${events.length - own} requests stored once each, none refused` +
      (own === 0 ? '' : `, and ${own} events fired by a leader itself`) +
      (resent === 0 ? '' : `, ${resent} requests sent twice`) +
      '; ' +
      `${terms} elected terms for ${changes} ${changesName}, only growing` +
      (warned.length === 0 ? '' : `; warnings: ${warned.join(', ')}`),
    problems,
  };
  return { check, terms, warnings };
}

/**
 * The engines of a succession benchmark: SQLite and PostgreSQL (`electedEngines`) unless it asks for
 * others; `skipped` says why none can run.
 */
type EnginesOf = (
  benchmark: string,
  options: BenchmarkOptions,
  notes: string[],
) => Promise<EngineChoice | { skipped: string }>;

function successionBenchmark(
  name: string,
  kind: SuccessionKind,
  succeed: Succeed,
  enginesOf: EnginesOf = electedEngines,
): Benchmark {
  return {
    name,
    formatTable: formatElectedTables,
    async run(options): Promise<ElectedBenchmarkResult> {
      const notes: string[] = [];
      const choice = await enginesOf(name, options, notes);
      const description =
        `${kind.title}: ${PROCESSES} processes hold one OneActor id, default settings, ` +
        `each follower fires a request every ${BEAT_INTERVAL_MS} ms without awaiting it`;
      if ('skipped' in choice) {
        return { benchmark: name, description, settings: {}, cases: [], notes, skipped: choice.skipped };
      }
      const { engines, settings } = choice;
      const samples = options.quick ? 5 : 20;
      const successions: SuccessionRow[] = [];
      for (const engine of engines) {
        options.progress(`${name}: ${ENGINE_NAMES[engine]}: ${samples} × ${kind.title}`);
        successions.push(await runSuccessions(engine, kind, samples, options, succeed));
      }
      return {
        benchmark: name,
        description,
        settings: { ...settings, samplesPerEngine: samples, followerRequestEveryMs: BEAT_INTERVAL_MS },
        cases: [],
        successions,
        notes,
      };
    },
  };
}

export const oneFailover = successionBenchmark(
  'leaders-one-failover',
  {
    label: 'failover',
    title: 'OneActor failover after kill -9',
    targetMs: FAILOVER_TARGET_MS,
    changes: 'kills',
  },
  killLeader,
);

/**
 * `redis-failover`: the OneActor failover of `leaders-one-failover`, on a Redis store (one key
 * prefix) shared by the three processes; skipped, with a message, when the server cannot be reached.
 */
export const redisOneFailover = successionBenchmark(
  'redis-failover',
  {
    label: 'redis_failover',
    title: 'OneActor failover after kill -9',
    targetMs: FAILOVER_TARGET_MS,
    changes: 'kills',
  },
  killLeader,
  async (benchmark, options) => {
    const server = await redisServerInfo();
    if ('unreachable' in server) {
      const skipped =
        `Redis server at ${describeRedisUrl()} unreachable (${server.unreachable}); ` +
        'set OMNISCIENT_BENCH_REDIS_URL to run the Redis benchmarks';
      options.progress(`${benchmark}: skipped: ${skipped}`);
      return { skipped };
    }
    return {
      engines: ['redis'],
      settings: {
        processes: PROCESSES,
        actorSettings: 'defaults',
        requestTimeoutMs: OneActor.requestTimeoutMs,
        leaseTtlMs: OneActor.leaseTtlMs,
        redis: describeRedisUrl(),
        redisVersion: server.version,
        redisPersistence: server.persistence,
      },
    };
  },
);

export const oneHandover = successionBenchmark(
  'leaders-one-handover',
  {
    label: 'handover',
    title: 'OneActor handover on Dispose',
    targetMs: HANDOVER_TARGET_MS,
    changes: 'handovers',
  },
  disposeLeader,
);

// ---------------------------------------------------------------------------------------------
// TickActor lateness

async function runTicks(
  engine: Engine,
  resolutionMs: number,
  count: number,
  options: BenchmarkOptions,
): Promise<TickRow> {
  const name = `every ${resolutionMs} ms, ${ENGINE_NAMES[engine]}`;
  const id = `ticks-${resolutionMs}`;
  options.progress(`leaders-tick-lateness: ${name}: ${count} ticks`);
  const arena = await openElectedArena(engine, `ticks_${resolutionMs}`, id, options);
  const pool = new ElectedPool({ config: { store: arena.description, kind: 'tick', id, resolutionMs } });
  try {
    await pool.start(PROCESSES);
    // Counted from when all three hold the id: the first process loaded ticks while the others
    // still start (compile, connect, load), which is the machine starting, not ticking.
    const from = Math.max(0, ...arena.watch.events.map((heard) => tickNumber(heard.event))) + 1;
    const to = from + count - 1;
    await arena.watch.first(
      'events',
      (heard) => tickNumber(heard.event) >= to,
      count * resolutionMs + 60_000,
      `tick ${to}`,
    );
    await pool.stop();
    const measured = (event: StoredEvent) => tickNumber(event) >= from && tickNumber(event) <= to;
    const stored = (await arena.observer.readStream(id)).filter(measured);
    const latenessMs = stored.map((event) => Date.parse(event.at) - plannedAt(event));
    const heardLatenessMs = arena.watch.events
      .filter((heard) => measured(heard.event))
      .map((heard) => heard.heardWallAt - plannedAt(heard.event));
    const lateness = percentiles(latenessMs);
    const negative = latenessMs.filter((millis) => millis < 0).length;
    // A tick standing for skipped slots was at least one resolution late for the first of them.
    const missed = stored.filter((event) => (event.data as TickData).missed !== undefined).length;
    const storedAt = new Map(stored.map((event) => [event.id, Date.parse(event.at)]));
    const parts = new Parts();
    for (const millis of latenessMs)
      parts.add('planned → stored `at` (the leader’s timer, on its store clock)', millis);
    for (const heard of arena.watch.events) {
      const at = storedAt.get(heard.event.id);
      if (at === undefined) continue;
      parts.add(
        'stored `at` → heard (the clock estimate’s lag, the append, the notification)',
        heard.heardWallAt - at,
      );
    }
    return {
      name,
      resolutionMs,
      ticks: stored.length,
      latenessMs,
      lateness,
      negative,
      missed,
      heardLatenessMs,
      heardLateness: percentiles(heardLatenessMs),
      heardNegative: heardLatenessMs.filter((millis) => millis < 0).length,
      parts: parts.summary(),
      targetMs: TICK_TARGET_MS,
      met: lateness.p99 <= TICK_TARGET_MS && negative === 0 && missed === 0,
      firstTick: from,
      check: checkTicks(stored, from, count, resolutionMs),
    };
  } finally {
    await pool.stop();
    await arena.dispose();
  }
}

/** A tick's number; 0 for any other event. */
function tickNumber(event: StoredEvent): number {
  return event.name === 'tick' ? (event.data as TickData).n : 0;
}

function plannedAt(tick: StoredEvent): number {
  return Date.parse((tick.data as TickData).at);
}

/**
 * Ticks n = from…from + count − 1 in stream order, once each, each planned one resolution after
 * the one before, or as many more as the slots it stands for (`missed`, under 'skip').
 */
function checkTicks(
  ticks: readonly StoredEvent[],
  from: number,
  count: number,
  resolutionMs: number,
): ElectedCheck {
  const problems: string[] = [];
  ticks.forEach((tick, index) => {
    const { n, missed } = tick.data as TickData;
    if (n !== from + index) problems.push(`tick ${n} at place ${from + index}`);
    if (index > 0) {
      const gap = plannedAt(tick) - plannedAt(ticks[index - 1]!);
      if (gap !== resolutionMs * (1 + (missed ?? 0))) {
        problems.push(`tick ${n} planned ${gap} ms after the one before, standing for ${missed ?? 0} missed`);
      }
    }
  });
  if (ticks.length !== count) problems.push(`${ticks.length} ticks stored, not ${count}`);
  return {
    summary: `n = ${from}…${from + count - 1} once each, planned ${resolutionMs} ms apart (or skipping)`,
    problems,
  };
}

export const tickLateness: Benchmark = {
  name: 'leaders-tick-lateness',
  formatTable: formatElectedTables,
  async run(options): Promise<ElectedBenchmarkResult> {
    const notes: string[] = [];
    const { engines, settings } = await electedEngines('leaders-tick-lateness', options, notes);
    const plans = options.quick
      ? [
          { resolutionMs: 100, count: 50 },
          { resolutionMs: 1000, count: 5 },
        ]
      : [
          { resolutionMs: 100, count: 200 },
          { resolutionMs: 1000, count: 20 },
        ];
    const ticks: TickRow[] = [];
    for (const engine of engines) {
      for (const { resolutionMs, count } of plans)
        ticks.push(await runTicks(engine, resolutionMs, count, options));
    }
    return {
      benchmark: 'leaders-tick-lateness',
      description:
        `${PROCESSES} processes hold one TickActor id (missedTicks 'skip', lease TTL 1500 ms); ` +
        'lateness = stored `at` − planned `data.at`, and the parent’s wall clock on hearing it − `data.at`',
      settings: { ...settings, plans },
      cases: [],
      ticks,
      notes,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Request round trip

interface PingedMessage extends WorkerMessage {
  readonly resolvedAfter: readonly (number | null)[];
  readonly seconds: number;
  readonly failures: readonly string[];
  readonly errors: readonly string[];
}

interface AppliedMessage extends WorkerMessage {
  readonly appliedAfter: readonly (number | null)[];
  readonly duplicates: number;
  readonly errors: readonly string[];
}

async function runRoundTrip(
  engine: Engine,
  kind: 'one' | 'live',
  sqlitePollMs: number,
  count: number,
  warmup: number,
  options: BenchmarkOptions,
): Promise<RoundTripRow> {
  const where = engine === 'sqlite' ? `SQLite, poll every ${sqlitePollMs} ms` : 'PostgreSQL';
  const name = `${kind === 'one' ? 'OneActor' : 'LiveActor'}, ${where}`;
  const id = `${kind}-round-trip`;
  options.progress(`leaders-round-trip: ${name}: ${count} requests after ${warmup} of warm-up`);
  const arena = await openElectedArena(engine, `${kind}_rt_${sqlitePollMs}`, id, options, sqlitePollMs);
  const pool = new ElectedPool({ config: { store: arena.description, kind, id, pings: count } });
  try {
    await pool.start(PROCESSES);
    let [firer, other, third] = pool.nodes as [string, string, string];
    if (kind === 'one') {
      // The firer and the other are the two followers; the third is the leader.
      third = await pool.leader(SUCCESSION_TIMEOUT_MS);
      [firer, other] = pool.nodes.filter((node) => node !== third) as [string, string];
    }
    const firing = pool.workerOf(firer);
    firing.send('ping', { count, warmup });
    const pinged = await firing.next<PingedMessage>('pinged', 120_000 + count * 100);
    const applied = await Promise.all(
      [firer, other, third].map((node) => {
        const worker = pool.workerOf(node);
        worker.send('applied', { waitMs: 5_000 });
        return worker.next<AppliedMessage>('applied', 20_000);
      }),
    );
    const errors = [...pinged.failures, ...pinged.errors, ...applied.flatMap((message) => message.errors)];
    if (errors.length > 0) throw new Error(`${name}: the actors reported errors: ${errors.join('; ')}`);
    const [onFirer, onOther, onThird] = applied.map((message) => message.appliedAfter) as [
      readonly (number | null)[],
      readonly (number | null)[],
      readonly (number | null)[],
    ];
    const resolved: number[] = [];
    const otherApplied: number[] = [];
    const everywhere: number[] = [];
    let lost = 0;
    for (let n = 0; n < count; n++) {
      const times = [onFirer[n], onOther[n], onThird[n]];
      if (times.some((time) => time === null || time === undefined)) {
        lost++;
        continue;
      }
      resolved.push(pinged.resolvedAfter[n]!);
      otherApplied.push(onOther[n]!);
      everywhere.push(Math.max(...(times as number[])));
    }
    const stats = percentiles(everywhere);
    const target = kind === 'one' && engine === 'postgres' ? ROUND_TRIP_TARGET_MS : undefined;
    return {
      name,
      requests: count,
      lost,
      duplicates: applied.reduce((sum, message) => sum + message.duplicates, 0),
      resolved: percentiles(resolved),
      otherApplied: percentiles(otherApplied),
      everywhere: stats,
      firedPerSecond: Math.round((count + warmup) / pinged.seconds),
      ...(target === undefined ? {} : { targetMs: target, met: lost === 0 && stats.p99 <= target }),
      parts: roundTripParts(kind, arena.watch, pinged, onOther, onThird),
    };
  } finally {
    await pool.stop();
    await arena.dispose();
  }
}

/**
 * Where a ping's time goes, from the parent's hearing of the request record and of the stored
 * event, against the firer's `sentAt` and the processes' apply times (one monotonic clock).
 */
function roundTripParts(
  kind: 'one' | 'live',
  watch: ElectedWatch,
  pinged: PingedMessage,
  onOther: readonly (number | null)[],
  onThird: readonly (number | null)[],
): LeaderPart[] {
  const heardByPing = (heard: readonly Heard[], name: string) => {
    const byPing = new Map<number, Heard>();
    for (const each of heard) {
      const data = each.event.data as PingData;
      if (each.event.name === name && data.n >= 0 && !byPing.has(data.n)) byPing.set(data.n, each);
    }
    return byPing;
  };
  const events = heardByPing(watch.events, 'pinged');
  const parts = new Parts();
  if (kind === 'one') {
    const requests = heardByPing(watch.records, 'request');
    for (const [n, request] of requests) {
      const event = events.get(n);
      const resolvedAfter = pinged.resolvedAfter[n];
      if (event === undefined || resolvedAfter === null || resolvedAfter === undefined) continue;
      const { sentAt } = request.event.data as PingData;
      parts.add('Fire → request heard by the parent (follower appends it)', request.heardAt - sentAt);
      parts.add(
        'request heard → served event heard (leader hears, reads, applies, appends)',
        event.heardAt - request.heardAt,
      );
      parts.add(
        'served event heard → Fire resolved (firer hears, applies)',
        sentAt + resolvedAfter - event.heardAt,
      );
    }
  } else {
    for (const [n, event] of events) {
      const other = onOther[n];
      const third = onThird[n];
      if (other === null || other === undefined || third === null || third === undefined) continue;
      const { sentAt } = event.event.data as PingData;
      parts.add('Fire → event heard by the parent (firer appends it)', event.heardAt - sentAt);
      parts.add(
        'event heard → applied on the last other process',
        sentAt + Math.max(other, third) - event.heardAt,
      );
    }
  }
  return parts.summary();
}

export const roundTrip: Benchmark = {
  name: 'leaders-round-trip',
  formatTable: formatElectedTables,
  async run(options): Promise<ElectedBenchmarkResult> {
    const notes: string[] = [];
    const { engines, settings } = await electedEngines('leaders-round-trip', options, notes);
    const count = options.quick ? 200 : 1_000;
    const warmup = 50;
    const roundTrips: RoundTripRow[] = [];
    for (const engine of engines) {
      const polls = engine === 'sqlite' ? [SQLITE_DEFAULT_POLL_MS, 1] : [0];
      for (const poll of polls) {
        for (const kind of ['one', 'live'] as const) {
          roundTrips.push(await runRoundTrip(engine, kind, poll, count, warmup, options));
        }
      }
    }
    return {
      benchmark: 'leaders-round-trip',
      description:
        `one follower of a OneActor held by ${PROCESSES} processes fires one request at a time, each ` +
        'awaited: Fire → resolved on it, → applied on the other follower, → applied on all three; ' +
        'next to it a LiveActor on three processes, measured the same way',
      settings: { ...settings, requests: count, warmup, pace: 'one Fire awaited at a time' },
      cases: [],
      roundTrips,
      notes,
    };
  },
};

export const electedBenchmarks: readonly Benchmark[] = [oneFailover, oneHandover, tickLateness, roundTrip];
