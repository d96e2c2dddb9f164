/**
 * Listeners (`ListenFor`, `src/subscriptions/`), in one process, on SQLite (a file) and PostgreSQL
 * (a fresh schema), the PostgreSQL rows left out with a note when its server cannot be reached:
 *
 * - `listen-throughput`: 100 000 events over 1 000 streams, every other one of the listened name,
 *   are stored first. Then, taking turns in the same seconds on the same store, an actor's
 *   `ListenFor(name, listener)` delivers the 50 000 of that name to a listener that folds them and
 *   fires nothing (timed from `Load()` to the last delivery), against the raw baseline: a paged
 *   `store.readAll({ names: [name] })` of the same events with the same fold. A resident listener
 *   keeps the process's one engine subscription open, as any live actor of a running process
 *   does, so each timed run joins it rather than opening it.
 * - `listen-reaction-latency`: a process manager listens for `order_placed` and reacts to each by
 *   firing one `order_acknowledged`; a second actor listens for those. Orders are appended one at
 *   a time, each only once the previous one's acknowledgement was heard, and each sample is the
 *   time from the order's append resolving to its acknowledgement reaching the second listener,
 *   on the monotonic clock. The process manager is measured as an `Actor` and as a `LiveActor`.
 *
 * Every run is checked: each listener heard each event once, with the right data, and each order
 * has exactly one acknowledgement stored, recording it as its cause.
 */
import pg from 'pg';
import {
  Actor,
  createContainer,
  LiveActor,
  type Container,
  type EventStore,
  type StoredEvent,
} from '../src/index.js';
import { DEFAULT_POOL_SIZE } from '../src/postgres.js';
import { caseStore, ENGINE_NAMES, enginesToRun, type Engine } from './lib/arena.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { Parts, percentiles } from './lib/durations.js';
import { formatListenTables, type ListenBenchmarkResult, type ReactionRow } from './lib/listen-report.js';
import { machineMillis } from './lib/live-actors.js';
import { LIVE_POSTGRES_URL, openStore } from './lib/live-stores.js';
import { compare, type Contender } from './lib/measure.js';
import { caseResult, type CaseResult } from './lib/report.js';
import { depositEvents, type Deposit } from './lib/workload.js';

/** The PostgreSQL pool of the one process: the engine's default. */
const POOL_SIZE = DEFAULT_POOL_SIZE;

// ---------------------------------------------------------------------------------------------
// Throughput

const LISTENED = 'deposited';
const OTHER = 'withdrawn';
/** A name no event has: the resident listener hears nothing, it only keeps the subscription open. */
const NEVER_STORED = 'never_stored';
const STREAMS = 1_000;
const TOTAL_EVENTS = 100_000;
/**
 * Events per append while the store is filled (untimed): the streams take turns, so each stream's
 * events are spread over the store's positions rather than stored in one run.
 */
const EVENTS_PER_APPEND = 50;
/** The raw baseline's page: `readAll`'s default limit. */
const RAW_PAGE_SIZE = 1_000;
const THROUGHPUT_TARGET = { kind: 'ratio', atLeast: 0.7 } as const;
/** How long one timed run may take before the run is declared broken rather than slow. */
const RUN_TIMEOUT_MS = 120_000;

/** The events of the listened name, as the checks expect to see them. */
interface Listened {
  readonly events: number;
  readonly total: number;
}

/** An actor with no handler of its own: what it hears, it hears through its listener. */
class Ledger extends Actor {
  constructor(id: string, container: Container) {
    super(id, container);
  }
}

/** Stores the workload, streams taking turns, every other event of the listened name. */
async function fillStore(store: EventStore, options: BenchmarkOptions, label: string): Promise<Listened> {
  options.progress(`listen-throughput: ${label}: storing ${TOTAL_EVENTS} events over ${STREAMS} streams`);
  const events = depositEvents(TOTAL_EVENTS).map((event, index) => ({
    ...event,
    name: index % 2 === 0 ? LISTENED : OTHER,
  }));
  let listened = 0;
  let total = 0;
  let next = 0;
  for (let version = 0; version < TOTAL_EVENTS / STREAMS; version += EVENTS_PER_APPEND) {
    for (let stream = 0; stream < STREAMS; stream++) {
      const batch = events.slice(next, next + EVENTS_PER_APPEND);
      next += EVENTS_PER_APPEND;
      for (const event of batch) {
        if (event.name !== LISTENED) continue;
        listened++;
        total += event.data.amount;
      }
      await store.appendToStream(`account-${stream}`, batch, { expectedVersion: version });
    }
  }
  return { events: listened, total };
}

async function measureThroughput(
  engine: Engine,
  options: BenchmarkOptions,
  repetitions: number,
): Promise<CaseResult> {
  const label = ENGINE_NAMES[engine];
  const shared = await caseStore(
    engine,
    { file: 'listen-throughput', schema: 'listen_throughput', poolSize: POOL_SIZE },
    options,
  );
  const store = await openStore(shared.description);
  const container = createContainer({ store });
  const resident = new Ledger('resident-listener', container);
  try {
    const expected = await fillStore(store, options, label);
    if (shared.description.engine === 'postgres') await vacuumAnalyze(shared.description.schema);
    resident.ListenFor(NEVER_STORED, () => undefined);
    await resident.Load();

    let runs = 0;
    const listenFor: Contender = () => {
      runs++;
      const actor = new Ledger(`ledger-${runs}`, container);
      let heard = 0;
      let total = 0;
      let lastHeard!: () => void;
      const allHeard = new Promise<void>((resolve) => (lastHeard = resolve));
      actor.ListenFor(LISTENED, (event) => {
        total += (event.data as Deposit).amount;
        if (++heard === expected.events) lastHeard();
      });
      return {
        async run() {
          await actor.Load();
          await within(
            allHeard,
            RUN_TIMEOUT_MS,
            () => `ListenFor heard ${heard} of ${expected.events} events`,
          );
        },
        verify() {
          check('events heard by ListenFor', heard, expected.events);
          check('total folded by ListenFor', total, expected.total);
        },
        dispose: () => actor.Dispose(),
      };
    };
    const readAll: Contender = () => {
      let read = 0;
      let total = 0;
      return {
        async run() {
          let after = 0;
          for (;;) {
            const page = await store.readAll({ after, limit: RAW_PAGE_SIZE, names: [LISTENED] });
            for (const event of page) total += (event.data as Deposit).amount;
            read += page.length;
            if (page.length < RAW_PAGE_SIZE) return;
            after = page[page.length - 1]!.position;
          }
        },
        verify() {
          check('events read by readAll', read, expected.events);
          check('total folded from readAll', total, expected.total);
        },
      };
    };
    // The raw side is readAll by name in pages of RAW_PAGE_SIZE, as the description says.
    const name = `ListenFor ${expected.events} of ${TOTAL_EVENTS} events over ${STREAMS} streams, ${label}`;
    options.progress(`listen-throughput: ${name}`);
    const comparison = await compare(listenFor, readAll, {
      operations: 1,
      eventsPerOperation: expected.events,
      repetitions,
      warmups: 1,
      slices: 1,
    });
    return caseResult(name, 'events/s', comparison, repetitions, THROUGHPUT_TARGET);
  } finally {
    await resident.Dispose();
    await store.close();
    await shared.dispose();
  }
}

export const listenThroughput: Benchmark = {
  name: 'listen-throughput',
  formatTable: formatListenTables,
  async run(options): Promise<ListenBenchmarkResult> {
    const notes: string[] = [];
    const { engines, settings } = await enginesToRun('listen-throughput', options, notes, {
      settings: { sqliteSynchronous: options.synchronous },
      poolSize: POOL_SIZE,
      skipped: 'PostgreSQL',
    });
    // A delivery of every event is one short run, so more of them are needed for a steady median.
    const repetitions = repetitionsFor(options) * 2 - 1;
    const cases: CaseResult[] = [];
    for (const engine of engines) cases.push(await measureThroughput(engine, options, repetitions));
    return {
      benchmark: 'listen-throughput',
      description:
        `an actor's ListenFor delivering every event of one name (half of ${TOTAL_EVENTS} over ` +
        `${STREAMS} streams) to a listener that fires nothing, timed from Load() to the last ` +
        `delivery, against readAll by name in pages of ${RAW_PAGE_SIZE} from the same store`,
      settings: {
        ...settings,
        streams: STREAMS,
        totalEvents: TOTAL_EVENTS,
        listenedEvents: TOTAL_EVENTS / 2,
        eventsPerAppend: EVENTS_PER_APPEND,
        rawPageSize: RAW_PAGE_SIZE,
        residentListener: true,
      },
      cases,
      notes,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Reaction latency

const PLACED = 'order_placed';
const ACKNOWLEDGED = 'order_acknowledged';
/** Orders go round this many streams: a process manager hears a name across many streams. */
const ORDER_STREAMS = 100;
/** How long one order's acknowledgement may take before the run is declared broken. */
const REACTION_TIMEOUT_MS = 10_000;

interface Order {
  readonly n: number;
}

/** The monotonic times of each order's journey, by order number (NaN: not reached). */
class Journeys {
  readonly appendCalled: Float64Array;
  readonly stored: Float64Array;
  readonly listenerCalled: Float64Array;
  readonly reactionStored: Float64Array;
  readonly heard: Float64Array;
  /** How often the second listener heard each order's acknowledgement. */
  readonly timesHeard: Uint16Array;
  #waiting: { n: number; resolve: () => void } | undefined;

  constructor(orders: number) {
    this.appendCalled = new Float64Array(orders).fill(NaN);
    this.stored = new Float64Array(orders).fill(NaN);
    this.listenerCalled = new Float64Array(orders).fill(NaN);
    this.reactionStored = new Float64Array(orders).fill(NaN);
    this.heard = new Float64Array(orders).fill(NaN);
    this.timesHeard = new Uint16Array(orders);
  }

  /** Resolves once order `n`'s acknowledgement is heard. */
  heardOf(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = { n, resolve };
    });
  }

  hear(n: number): void {
    this.heard[n] = machineMillis();
    this.timesHeard[n]!++;
    if (this.#waiting?.n === n) this.#waiting.resolve();
  }
}

/** The process manager: reacts to each order by firing one acknowledgement, and awaits nothing. */
function fulfilmentClass(Kind: typeof Actor | typeof LiveActor) {
  return class Fulfilment extends (Kind as typeof Actor) {
    constructor(id: string, container: Container, journeys: Journeys) {
      super(id, container);
      this.ListenFor(PLACED, (event) => {
        const { n } = event.data as Order;
        journeys.listenerCalled[n] = machineMillis();
        this.Fire(ACKNOWLEDGED, { n }).then(
          () => {
            journeys.reactionStored[n] = machineMillis();
          },
          // A reaction that failed surfaces from Flush, which the checks call.
          () => undefined,
        );
      });
    }
  };
}

/** The second listener: the instrument that stamps each acknowledgement's arrival. */
class Audit extends Actor {
  constructor(id: string, container: Container, journeys: Journeys) {
    super(id, container);
    this.ListenFor(ACKNOWLEDGED, (event) => journeys.hear((event.data as Order).n));
  }
}

async function measureReactions(
  engine: Engine,
  kind: 'Actor' | 'LiveActor',
  warmup: number,
  samples: number,
  options: BenchmarkOptions,
): Promise<ReactionRow> {
  const name = `${kind}, ${ENGINE_NAMES[engine]}`;
  options.progress(`listen-reaction-latency: ${name}: ${samples} orders after ${warmup} of warm-up`);
  const shared = await caseStore(
    engine,
    {
      file: `listen-reactions-${kind}`,
      schema: `listen_reactions_${kind.toLowerCase()}`,
      poolSize: POOL_SIZE,
    },
    options,
  );
  const store = await openStore(shared.description);
  const container = createContainer({ store });
  const orders = warmup + samples;
  const journeys = new Journeys(orders);
  const Fulfilment = fulfilmentClass(kind === 'Actor' ? Actor : LiveActor);
  const manager = new Fulfilment('fulfilment', container, journeys);
  const audit = new Audit('audit', container, journeys);
  try {
    await manager.Load();
    await audit.Load();
    const versions = new Array<number>(ORDER_STREAMS).fill(0);
    for (let n = 0; n < orders; n++) {
      const stream = n % ORDER_STREAMS;
      const heard = journeys.heardOf(n);
      journeys.appendCalled[n] = machineMillis();
      await store.appendToStream(`order-${stream}`, [{ name: PLACED, data: { n } }], {
        expectedVersion: versions[stream]!,
      });
      journeys.stored[n] = machineMillis();
      versions[stream]!++;
      await within(heard, REACTION_TIMEOUT_MS, () => `order ${n}: its acknowledgement was not heard`);
    }
    await manager.Flush();
    const check = checkReactions(await store.readStream('fulfilment', { limit: orders + 1 }), journeys);

    const parts = new Parts();
    const samplesMs: number[] = [];
    for (let n = warmup; n < orders; n++) {
      samplesMs.push(journeys.heard[n]! - journeys.stored[n]!);
      parts.add('order appended (call → resolved)', journeys.stored[n]! - journeys.appendCalled[n]!);
      parts.add(
        'order stored → the manager’s listener called',
        journeys.listenerCalled[n]! - journeys.stored[n]!,
      );
      parts.add(
        'listener called → reaction stored',
        journeys.reactionStored[n]! - journeys.listenerCalled[n]!,
      );
      parts.add(
        'reaction stored → heard by the second listener',
        journeys.heard[n]! - journeys.reactionStored[n]!,
      );
    }
    return { name, samplesMs, warmup, ...percentiles(samplesMs), parts: parts.summary(), check };
  } finally {
    await audit.Dispose();
    await manager.Dispose();
    await store.close();
    await shared.dispose();
  }
}

/**
 * What the run stored: one acknowledgement per order, each recording its order as its cause, and
 * each heard once by the second listener. Answers what it found, for the table.
 */
function checkReactions(stored: readonly StoredEvent[], journeys: Journeys): string {
  const orders = journeys.heard.length;
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const event of stored) {
    const { n } = event.data as Order;
    if (event.name !== ACKNOWLEDGED) problems.push(`an event named ${event.name} in the manager's stream`);
    else if (seen.has(n)) problems.push(`order ${n} acknowledged twice`);
    seen.add(n);
    if (typeof event.meta.causationId !== 'string') problems.push(`acknowledgement ${n} records no cause`);
  }
  if (seen.size !== orders) problems.push(`${seen.size} of ${orders} orders acknowledged`);
  const twice = journeys.timesHeard.filter((times) => times > 1).length;
  if (twice > 0) problems.push(`${twice} acknowledgements heard more than once`);
  if (problems.length > 0) return `FAILED: ${problems.slice(0, 3).join('; ')}`;
  return `ok: ${orders} orders, one acknowledgement each, recording its cause, heard once`;
}

export const listenReactionLatency: Benchmark = {
  name: 'listen-reaction-latency',
  formatTable: formatListenTables,
  async run(options): Promise<ListenBenchmarkResult> {
    const notes: string[] = [];
    const { engines, settings } = await enginesToRun('listen-reaction-latency', options, notes, {
      settings: { sqliteSynchronous: options.synchronous },
      poolSize: POOL_SIZE,
      skipped: 'PostgreSQL rows',
    });
    const warmup = options.quick ? 50 : 200;
    const samples = options.quick ? 300 : 3_000;
    const reactions: ReactionRow[] = [];
    for (const engine of engines) {
      for (const kind of ['Actor', 'LiveActor'] as const) {
        reactions.push(await measureReactions(engine, kind, warmup, samples, options));
      }
    }
    return {
      benchmark: 'listen-reaction-latency',
      description:
        'a process manager reacting to each order by firing one event, orders appended one at a ' +
        'time in one process: from the order append resolving to the reaction reaching a second listener',
      settings: { ...settings, warmup, samples, orderStreams: ORDER_STREAMS, pace: 'one order at a time' },
      cases: [],
      reactions,
      notes,
    };
  },
};

export const listenBenchmarks: readonly Benchmark[] = [listenThroughput, listenReactionLatency];

// ---------------------------------------------------------------------------------------------

/** Statistics for the planner once the store is filled, so that no run meets a plan made on an empty table. */
async function vacuumAnalyze(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: LIVE_POSTGRES_URL });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1',
      [schema],
    );
    for (const { tablename } of tables.rows) {
      await client.query(`VACUUM ANALYZE "${schema}"."${tablename}"`);
    }
  } finally {
    await client.end();
  }
}

/** Waits for `promise`, or throws what `what` says after `ms`: a benchmark that hangs measures nothing. */
async function within(promise: Promise<void>, ms: number, what: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A benchmark that measured the wrong work would be worse than none: check what each run did. */
function check(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}
