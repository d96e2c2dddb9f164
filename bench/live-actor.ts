/**
 * LiveActor across processes, on SQLite (one file) and PostgreSQL (one schema), with real worker
 * processes (`bench/workers/live-worker.ts`):
 *
 * - `live-latency`: a `LiveActor` fires on process A; the same actor id, loaded beforehand on
 *   process B, runs its handler. A fires one ping at a time (each `Fire` awaited before the next)
 *   and stamps it with the machine's monotonic clock; B notes the time its handler runs. SQLite is
 *   measured watching the file (the store's default), then polling it every 10 ms and every 1 ms
 *   (`watchFile: false`); PostgreSQL next to a raw INSERT + pg_notify heard by a plain LISTEN, in
 *   the same shape, in the same run: its target is twice that raw p99. Before the pings, B sits
 *   subscribed and idle for a few seconds, and says how much CPU that took.
 * - `live-conflicts`: 8 processes each add their ids to one stream as fast as they can (each
 *   `Fire` awaited before the next, so every process always has one append in flight), in two
 *   rounds on fresh streams. Each stream is then checked: every event stored once, versions
 *   without a gap, and every process ending with the same state.
 * - `live-memory`: one process loads 10 000 live actors on distinct streams (run with
 *   `--expose-gc`) and reports the heap each one takes, next to plain `Actor`s of the same state,
 *   and how many engine subscriptions the process holds.
 *
 * PostgreSQL rows are skipped, with a message, when the server cannot be reached.
 */
import { ConflictTally, foldDigest } from './lib/live-actors.js';
import { LiveWorker, stopAll, type WorkerMessage } from './lib/live-processes.js';
import {
  formatLiveTables,
  type LiveBenchmarkResult,
  type LiveConflictRow,
  type LiveLatencyRow,
  type LiveMemoryRow,
} from './lib/live-report.js';
import pg from 'pg';
import {
  dropSchema,
  freshSchemaName,
  listeningConnections,
  LIVE_POSTGRES_URL,
  openStore,
  type StoreDescription,
} from './lib/live-stores.js';
import {
  caseStore,
  enginesToRun,
  type CaseStore,
  type Engine,
  type EngineChoice,
  type StorePlan,
} from './lib/arena.js';
import { createRawTable } from './lib/raw-postgres.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { summarize } from './lib/measure.js';
import { quantile } from './lib/report-postgres.js';
import { depositEvents } from './lib/workload.js';

/**
 * The goal for the 99th percentile of fire → remote handler on PostgreSQL: this many times the
 * 99th percentile of a raw INSERT + pg_notify heard by a plain LISTEN, measured in the same run.
 */
const POSTGRES_RAW_FACTOR = 2;
/** The goal for the 99th percentile of fire → remote handler on SQLite, watching the file, in ms. */
const SQLITE_P99_TARGET_MS = 3;
/** How long each latency case first sits subscribed and idle, to measure what listening costs. */
const IDLE_MS = 5_000;
const IDLE_MS_QUICK = 2_000;
/** The channel of the raw PostgreSQL baseline (its own schema, so no other run hears it). */
const RAW_CHANNEL = 'bench_live_raw';
/** Connections per worker's PostgreSQL pool: each worker has one append in flight at a time. */
const WORKER_POOL_SIZE = 4;
/** How long a worker may take to start, open its store and load its actors. */
const START_TIMEOUT_MS = 60_000;
const CONFLICT_PROCESSES = 8;
/**
 * The contended rate's goal, as a share of the same engine's rate with one process writing the
 * same events alone (measured in the same run): conflicts may cost, but not most of the rate.
 */
const CONTENDED_SHARE_TARGET = 0.5;
/**
 * Rounds of the conflict case, each on a fresh stream with the same processes, for a spread. A
 * round of 8 × 500 events took 2–5 s on SQLite and 6–25 s on PostgreSQL on a 2-vCPU machine.
 */
const CONFLICT_ROUNDS = 2;

/** A store of `engine` for one case, made ready (schema created) before any worker opens it. */
function liveCaseStore(
  engine: Engine,
  label: string,
  options: BenchmarkOptions,
  plan: Partial<StorePlan> = {},
): Promise<CaseStore> {
  return caseStore(
    engine,
    { file: `live-${label}`, schema: label, poolSize: WORKER_POOL_SIZE, ...plan },
    options,
  );
}

/** A fresh schema holding only the raw baseline's table (`raw-postgres.ts`), dropped by `dispose`. */
async function rawNotifyStore(): Promise<CaseStore> {
  const schema = freshSchemaName('raw');
  const pool = new pg.Pool({
    connectionString: LIVE_POSTGRES_URL,
    max: 1,
    options: `-c search_path=${schema}`,
  });
  try {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await createRawTable(pool);
  } catch (error) {
    await dropSchema(schema).catch(() => undefined);
    throw error;
  } finally {
    await pool.end();
  }
  return {
    description: {
      engine: 'postgres',
      connectionString: LIVE_POSTGRES_URL,
      schema,
      poolSize: WORKER_POOL_SIZE,
    },
    dispose: () => dropSchema(schema),
  };
}

/**
 * The engines to run, SQLite always and PostgreSQL when its server answers (otherwise a note says
 * why its rows are missing), and the settings to save with the results.
 */
function liveEngines(benchmark: string, options: BenchmarkOptions, notes: string[]): Promise<EngineChoice> {
  return enginesToRun(benchmark, options, notes, {
    settings: { sqliteSynchronous: options.synchronous },
    poolSize: WORKER_POOL_SIZE,
    skipped: 'PostgreSQL rows',
  });
}

// ---------------------------------------------------------------------------------------------
// Propagation latency

/** What one latency case runs: the LiveActor pair on a store, or the raw PostgreSQL pair. */
type LatencyPair = { readonly kind: 'live'; readonly store: StoreDescription } | RawPair;

interface RawPair {
  readonly kind: 'raw';
  readonly store: StoreDescription;
  readonly channel: string;
}

function latencyWorkers(name: string, pair: LatencyPair, count: number, warmup: number) {
  const stream = 'probe-1';
  const { store } = pair;
  if (pair.kind === 'live') {
    return {
      listener: new LiveWorker(`${name}: listener`, { role: 'listen', store, stream, count }),
      firer: new LiveWorker(`${name}: firer`, { role: 'fire', store, stream, count, warmup }),
    };
  }
  const { channel } = pair;
  return {
    listener: new LiveWorker(`${name}: listener`, { role: 'raw-listen', store, channel, count }),
    firer: new LiveWorker(`${name}: firer`, { role: 'raw-fire', store, channel, stream, count, warmup }),
  };
}

interface LatencyTarget {
  readonly p99Ms: number;
  /** How the target was set, when not a fixed figure ("2 × raw"). */
  readonly basis?: string;
}

async function measureLatency(
  name: string,
  pair: LatencyPair,
  count: number,
  warmup: number,
  target: LatencyTarget | undefined,
  idleMs: number,
  options: BenchmarkOptions,
): Promise<LiveLatencyRow> {
  options.progress(
    `live-latency: ${name}: idle ${idleMs} ms, then ${count} pings after ${warmup} of warm-up`,
  );
  const { listener, firer } = latencyWorkers(name, pair, count, warmup);
  try {
    await Promise.all([listener.next('ready', START_TIMEOUT_MS), firer.next('ready', START_TIMEOUT_MS)]);
    await listener.checkSharedClock();
    await firer.checkSharedClock();
    // Both processes hold their subscriptions and nobody writes: what listening costs at rest.
    listener.send('idle', { ms: idleMs });
    const idled = await listener.next<WorkerMessage & { cpuMsPerSecond: number }>('idled', idleMs + 20_000);
    firer.send('go');
    const fired = await firer.next<
      WorkerMessage & { storedAfter: number[]; seconds: number; errors: string[] }
    >('fired', 120_000 + count * 10);
    listener.send('finish', { waitMs: 5_000 });
    const heard = await listener.next<
      WorkerMessage & { heardAfter: (number | null)[]; duplicates: number; errors: string[] }
    >('heard', 20_000);
    const errors = [...fired.errors, ...heard.errors];
    if (errors.length > 0) throw new Error(`${name}: the actors reported errors: ${errors.join('; ')}`);
    const latencies = heard.heardAfter
      .filter((value): value is number => value !== null)
      .sort((a, b) => a - b);
    const stored = [...fired.storedAfter].sort((a, b) => a - b);
    // `storedAfter` is timed from just before the `Fire` that stamps `sentAt`: microseconds apart.
    const afterStored = heard.heardAfter
      .flatMap((heardAfter, n) => (heardAfter === null ? [] : [heardAfter - fired.storedAfter[n]!]))
      .sort((a, b) => a - b);
    const lost = count - latencies.length;
    // Milliseconds to the microsecond: the clock reads finer, the machine is not that steady.
    const at = (sorted: readonly number[], q: number) => Math.round(quantile(sorted, q) * 1000) / 1000;
    const row: LiveLatencyRow = {
      name,
      events: count,
      lost,
      duplicates: heard.duplicates,
      p50: at(latencies, 0.5),
      p90: at(latencies, 0.9),
      p99: at(latencies, 0.99),
      max: at(latencies, 1),
      storedP50: at(stored, 0.5),
      storedP99: at(stored, 0.99),
      afterStoredP50: at(afterStored, 0.5),
      afterStoredP99: at(afterStored, 0.99),
      firedPerSecond: Math.round(count / fired.seconds),
      idleCpuMsPerSecond: Math.round(idled.cpuMsPerSecond * 100) / 100,
    };
    if (lost > 0 || heard.duplicates > 0) {
      options.progress(
        `live-latency: ${name}: ${lost} pings never reached the listener, ${heard.duplicates} reached it twice`,
      );
    }
    if (target === undefined) return row;
    return {
      ...row,
      p99TargetMs: Math.round(target.p99Ms * 1000) / 1000,
      ...(target.basis === undefined ? {} : { targetBasis: target.basis }),
      met: lost === 0 && row.p99 <= target.p99Ms,
    };
  } finally {
    await stopAll([listener, firer]);
  }
}

export const liveLatency: Benchmark = {
  name: 'live-latency',
  formatTable: formatLiveTables,
  async run(options) {
    const description =
      'time from Fire on one process to the handler of the same LiveActor id on another process, ' +
      'one Fire in flight at a time, stamped with the machine-wide monotonic clock';
    const count = options.quick ? 1_000 : 10_000;
    const warmup = options.quick ? 50 : 200;
    const notes: string[] = [];
    const { engines, settings } = await liveEngines('live-latency', options, notes);
    const idleMs = options.quick ? IDLE_MS_QUICK : IDLE_MS;
    const latencies: LiveLatencyRow[] = [];
    const sqliteCases: { name: string; plan: Partial<StorePlan>; target?: LatencyTarget }[] = [
      { name: 'SQLite, watching the log (default)', plan: {}, target: { p99Ms: SQLITE_P99_TARGET_MS } },
      { name: 'SQLite, poll every 10 ms', plan: { sqliteWatch: false, sqlitePollMs: 10 } },
      { name: 'SQLite, poll every 1 ms', plan: { sqliteWatch: false, sqlitePollMs: 1 } },
    ];
    for (const { name, plan, target } of sqliteCases) {
      const store = await liveCaseStore('sqlite', 'latency', options, plan);
      try {
        latencies.push(
          await measureLatency(
            name,
            { kind: 'live', store: store.description },
            count,
            warmup,
            target,
            idleMs,
            options,
          ),
        );
      } finally {
        await store.dispose();
      }
    }
    if (engines.includes('postgres')) {
      // The least the server itself takes, measured the same way in the same run: the target.
      const raw = await rawNotifyStore();
      let rawRow: LiveLatencyRow;
      try {
        rawRow = await measureLatency(
          'PostgreSQL, raw INSERT + pg_notify → LISTEN',
          { kind: 'raw', store: raw.description, channel: RAW_CHANNEL },
          count,
          warmup,
          undefined,
          idleMs,
          options,
        );
        latencies.push(rawRow);
      } finally {
        await raw.dispose();
      }
      const store = await liveCaseStore('postgres', 'latency', options);
      try {
        latencies.push(
          await measureLatency(
            'PostgreSQL',
            { kind: 'live', store: store.description },
            count,
            warmup,
            { p99Ms: POSTGRES_RAW_FACTOR * rawRow.p99, basis: `${POSTGRES_RAW_FACTOR} × raw` },
            idleMs,
            options,
          ),
        );
      } finally {
        await store.dispose();
      }
    }
    const result: LiveBenchmarkResult = {
      benchmark: 'live-latency',
      description,
      settings: {
        ...settings,
        events: count,
        warmup,
        idleMs,
        pace: 'one Fire awaited at a time',
      },
      cases: [],
      latencies,
      notes,
    };
    return result;
  },
};

// ---------------------------------------------------------------------------------------------
// Conflict-heavy throughput

interface RoundDone extends WorkerMessage {
  readonly started: number;
  readonly stored: number;
  readonly quiet: number;
  readonly appends: number;
  readonly conflicts: number;
  readonly maxConflictsPerEvent: number;
  /** How long each of the process's `Fire`s took to be stored, in milliseconds. */
  readonly storedAfter: readonly number[];
  readonly failures: readonly string[];
  readonly errors: readonly string[];
  readonly version: number;
  readonly state: { count: number; digest: number };
}

/**
 * Throws unless the round's stream holds exactly the ids every process added, once each, at
 * versions 1…n, and every process's actor ended with the state those events make in that order.
 * Answers how many events one process stored in a row, on average: 1 when the processes take
 * turns event by event, up to the events per process when each writes all of its own in one go.
 */
async function checkRound(
  name: string,
  store: StoreDescription,
  stream: string,
  round: number,
  perProcess: number,
  done: readonly RoundDone[],
): Promise<number> {
  const total = done.length * perProcess;
  const problems: string[] = [];
  done.forEach((message, worker) => {
    if (message.failures.length > 0) {
      problems.push(`process ${worker}: ${message.failures.length} Fires failed: ${message.failures[0]}`);
    }
    if (message.errors.length > 0) problems.push(`process ${worker} reported ${message.errors.join('; ')}`);
  });
  const reader = await openStore(store);
  try {
    const events = await reader.readStream(stream);
    const expected = new Set<string>();
    for (let worker = 0; worker < done.length; worker++) {
      for (let index = 0; index < perProcess; index++) expected.add(`p${worker}-${round}-${index}`);
    }
    const seen = new Set<string>();
    let digest = 0;
    let runs = 0;
    let lastWriter: string | undefined;
    events.forEach((event, index) => {
      if (event.version !== index + 1) problems.push(`event ${index} has version ${event.version}`);
      const id = (event.data as { id: string }).id;
      if (seen.has(id)) problems.push(`${id} stored twice`);
      if (!expected.has(id)) problems.push(`${id} was never added`);
      seen.add(id);
      digest = foldDigest(digest, id);
      const writer = id.slice(0, id.indexOf('-'));
      if (writer !== lastWriter) runs++;
      lastWriter = writer;
    });
    if (events.length !== total) problems.push(`${events.length} events stored, not ${total}`);
    const missing = [...expected].filter((id) => !seen.has(id));
    if (missing.length > 0)
      problems.push(`${missing.length} ids lost, such as ${missing.slice(0, 3).join(', ')}`);
    done.forEach((message, worker) => {
      if (message.state.count !== total || message.state.digest !== digest) {
        problems.push(
          `process ${worker} ended with ${message.state.count} events in another order than the stream's`,
        );
      }
    });
    if (problems.length > 0) {
      throw new Error(
        `${name}, round ${round}: the stream is wrong:\n  ${problems.slice(0, 20).join('\n  ')}`,
      );
    }
    return total / runs;
  } finally {
    await reader.close();
  }
}

/** The median, 99th percentile and maximum of `millis`, to the microsecond. */
function storedQuantiles(millis: readonly number[]): {
  storedP50: number;
  storedP99: number;
  storedMax: number;
} {
  const sorted = [...millis].sort((a, b) => a - b);
  const at = (q: number) => Math.round(quantile(sorted, q) * 1000) / 1000;
  return { storedP50: at(0.5), storedP99: at(0.99), storedMax: at(1) };
}

async function measureConflicts(
  name: string,
  store: StoreDescription,
  processes: number,
  perProcess: number,
  rounds: number,
  options: BenchmarkOptions,
): Promise<LiveConflictRow> {
  const total = processes * perProcess;
  options.progress(
    `live-conflicts: ${name}: ${processes} process(es) × ${perProcess} events, ${rounds} round(s)`,
  );
  const workers = Array.from(
    { length: processes },
    (_, worker) =>
      new LiveWorker(`${name}: process ${worker}`, {
        role: 'conflict',
        store,
        label: `p${worker}`,
        perProcess,
        total,
      }),
  );
  const rates: number[] = [];
  const quiescence: number[] = [];
  const appends: number[] = [];
  const conflicts: number[] = [];
  const runLengths: number[] = [];
  const storedAfter: number[] = [];
  let maxConflictsPerEvent = 0;
  try {
    await Promise.all(workers.map((worker) => worker.next('ready', START_TIMEOUT_MS)));
    for (const worker of workers) await worker.checkSharedClock();
    for (let round = 1; round <= rounds; round++) {
      const stream = `contended-${processes}-${round}`;
      for (const worker of workers) worker.send('round', { stream, round });
      await Promise.all(workers.map((worker) => worker.next('prepared', START_TIMEOUT_MS)));
      for (const worker of workers) worker.send('go');
      const done = await Promise.all(workers.map((worker) => worker.next<RoundDone>('round-done', 180_000)));
      runLengths.push(await checkRound(name, store, stream, round, perProcess, done));
      const started = Math.min(...done.map((message) => message.started));
      const stored = Math.max(...done.map((message) => message.stored));
      const quiet = Math.max(...done.map((message) => message.quiet));
      rates.push(total / ((stored - started) / 1000));
      quiescence.push((quiet - started) / 1000);
      appends.push(done.reduce((sum, message) => sum + message.appends, 0));
      conflicts.push(done.reduce((sum, message) => sum + message.conflicts, 0));
      for (const message of done) storedAfter.push(...message.storedAfter);
      maxConflictsPerEvent = Math.max(
        maxConflictsPerEvent,
        ...done.map((message) => message.maxConflictsPerEvent),
      );
      options.progress(
        `live-conflicts: ${name}: round ${round}: ${rates.at(-1)!.toFixed(0)} events/s, ` +
          `${conflicts.at(-1)} conflicts in ${appends.at(-1)} appends; checked`,
      );
    }
  } finally {
    await stopAll(workers);
  }
  return {
    name,
    processes,
    eventsPerProcess: perProcess,
    rounds,
    eventsPerSecond: summarize(rates),
    quiescenceSeconds: summarize(quiescence),
    appends: Math.round(summarize(appends).median),
    conflicts: Math.round(summarize(conflicts).median),
    maxConflictsPerEvent,
    meanRunLength: summarize(runLengths).median,
    ...storedQuantiles(storedAfter),
    checked: true,
  };
}

export const liveConflicts: Benchmark = {
  name: 'live-conflicts',
  formatTable: formatLiveTables,
  async run(options) {
    const description =
      `1, then ${CONFLICT_PROCESSES} processes adding to one stream through a LiveActor each, every Fire awaited ` +
      'before the next; conflicts counted at the store, every round checked for gaps, losses and equal states';
    const perProcess = options.quick ? 100 : 500;
    const rounds = options.quick ? 1 : CONFLICT_ROUNDS;
    const notes: string[] = [];
    const { engines, settings } = await liveEngines('live-conflicts', options, notes);
    const conflicts: LiveConflictRow[] = [];
    for (const engine of engines) {
      const store = await liveCaseStore(engine, 'conflicts', options);
      const name = engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      try {
        // The baseline: one process storing as many events, one Fire at a time, with nobody to
        // conflict with; then the contended case, in the same run on the same store.
        const alone = await measureConflicts(
          `${name}, 1 process`,
          store.description,
          1,
          CONFLICT_PROCESSES * perProcess,
          rounds,
          options,
        );
        const contended = await measureConflicts(
          `${name}, ${CONFLICT_PROCESSES} processes`,
          store.description,
          CONFLICT_PROCESSES,
          perProcess,
          rounds,
          options,
        );
        const share = contended.eventsPerSecond.median / alone.eventsPerSecond.median;
        conflicts.push(alone, {
          ...contended,
          shareOfAlone: share,
          shareTarget: CONTENDED_SHARE_TARGET,
          met: share >= CONTENDED_SHARE_TARGET,
        });
      } finally {
        await store.dispose();
      }
    }
    const result: LiveBenchmarkResult = {
      benchmark: 'live-conflicts',
      description,
      settings: {
        ...settings,
        processes: [1, CONFLICT_PROCESSES],
        eventsPerProcess: perProcess,
        rounds,
        actor: ConflictTally.name,
      },
      cases: [],
      conflicts,
      notes,
    };
    return result;
  },
};

// ---------------------------------------------------------------------------------------------
// Memory per resident live actor

/** Writes `eventsPerStream` deposits to each of `count` streams, several appends at once. */
async function seedStreams(store: StoreDescription, prefix: string, count: number, eventsPerStream: number) {
  // Seeding is set-up: on SQLite it need not wait for the disk on every commit.
  const seeding = await openStore(store.engine === 'sqlite' ? { ...store, synchronous: 'normal' } : store);
  try {
    let next = 0;
    const writer = async () => {
      while (next < count) {
        const stream = `${prefix}${next++}`;
        await seeding.appendToStream(stream, depositEvents(eventsPerStream), {
          expectedVersion: 'no-stream',
        });
      }
    };
    await Promise.all(Array.from({ length: store.engine === 'sqlite' ? 1 : 16 }, writer));
  } finally {
    await seeding.close();
  }
}

async function measureMemory(
  name: string,
  store: StoreDescription,
  count: number,
  eventsPerStream: number,
  options: BenchmarkOptions,
): Promise<LiveMemoryRow> {
  const prefix = 'account-';
  options.progress(`live-memory: ${name}: writing ${count} streams of ${eventsPerStream} events`);
  await seedStreams(store, prefix, count, eventsPerStream);
  options.progress(`live-memory: ${name}: loading ${count} plain actors, then ${count} live actors`);
  const worker = new LiveWorker(
    `${name}: resident`,
    { role: 'memory', store, prefix, count, eventsPerStream },
    { nodeOptions: ['--expose-gc'] },
  );
  try {
    const loaded = await worker.next<
      WorkerMessage & {
        plainHeapBytesPerActor: number;
        liveHeapBytesPerActor: number;
        liveRssBytesPerActor: number;
        subscriptions: number;
        liveFeedConsumers: number;
        errors: string[];
      }
    >('loaded', 180_000);
    if (loaded.errors.length > 0) throw new Error(`${name}: the actors reported ${loaded.errors.join('; ')}`);
    const row: LiveMemoryRow = {
      name,
      actors: count,
      eventsPerStream,
      liveHeapBytesPerActor: loaded.liveHeapBytesPerActor,
      plainHeapBytesPerActor: loaded.plainHeapBytesPerActor,
      liveRssBytesPerActor: loaded.liveRssBytesPerActor,
      subscriptions: loaded.subscriptions,
      liveFeedConsumers: loaded.liveFeedConsumers,
    };
    if (store.engine !== 'postgres') return row;
    // Asked of the server while the worker still holds its actors.
    return { ...row, listeningConnections: await listeningConnections(store.schema) };
  } finally {
    await worker.stop();
  }
}

export const liveMemory: Benchmark = {
  name: 'live-memory',
  formatTable: formatLiveTables,
  async run(options) {
    const description =
      'heap per resident LiveActor in a process holding many, each on its own stream (heapUsed after gc), ' +
      'next to plain Actors of the same state, and the engine subscriptions that process holds';
    const count = options.quick ? 2_000 : 10_000;
    const eventsPerStream = 3;
    const notes: string[] = [];
    const { engines, settings } = await liveEngines('live-memory', options, notes);
    const memory: LiveMemoryRow[] = [];
    for (const engine of engines) {
      const store = await liveCaseStore(engine, 'memory', options);
      try {
        memory.push(
          await measureMemory(
            engine === 'sqlite' ? 'SQLite' : 'PostgreSQL',
            store.description,
            count,
            eventsPerStream,
            options,
          ),
        );
      } finally {
        await store.dispose();
      }
    }
    const result: LiveBenchmarkResult = {
      benchmark: 'live-memory',
      description,
      settings: {
        ...settings,
        actors: count,
        eventsPerStream,
        state: '{ balance, deposits }',
      },
      cases: [],
      memory,
      notes,
    };
    return result;
  },
};

/** Every LiveActor benchmark, in the order `npm run bench` runs them (`--only live` runs them all). */
export const liveBenchmarks: readonly Benchmark[] = [liveLatency, liveConflicts, liveMemory];
