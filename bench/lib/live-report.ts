/**
 * What the LiveActor benchmarks report, and the tables they print: propagation latencies between
 * processes, throughput on one contended stream, and the memory a resident live actor takes. The
 * same rows are written as JSON with the settings they ran with.
 */
import type { Stats } from './measure.js';
import { formatRate, layout, type BenchmarkResult } from './report.js';

/** Fire on one process → handler on another, in milliseconds. */
export interface LiveLatencyRow {
  readonly name: string;
  /** Pings fired after the warm-up. */
  readonly events: number;
  /** Pings whose handler never ran on the listening process. */
  readonly lost: number;
  /** Pings whose handler ran twice there (never expected). */
  readonly duplicates: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** How long each `Fire` took to be stored on the firing process: median and 99th percentile. */
  readonly storedP50: number;
  readonly storedP99: number;
  /**
   * How long after its `Fire` resolved on the firing process each ping's handler ran on the
   * listening one (negative when the notification beat the answer to the append): the part of the
   * latency that is not the append itself. Median and 99th percentile.
   */
  readonly afterStoredP50: number;
  readonly afterStoredP99: number;
  /** The pace the firing process kept (one `Fire` in flight at a time). */
  readonly firedPerSecond: number;
  /** CPU the listening process spent per second while subscribed with nobody writing (ms/s). */
  readonly idleCpuMsPerSecond?: number;
  readonly p99TargetMs?: number;
  /** How the target was set, when it is not a fixed figure ("2 × raw"). */
  readonly targetBasis?: string;
  readonly met?: boolean;
}

/** Several processes firing on one stream at once, over several rounds. */
export interface LiveConflictRow {
  readonly name: string;
  readonly processes: number;
  readonly eventsPerProcess: number;
  readonly rounds: number;
  /** Events stored per second, from the first process starting to the last `Fire` resolving. */
  readonly eventsPerSecond: Stats;
  /** From the first process starting until every process's actor holds every event (seconds). */
  readonly quiescenceSeconds: Stats;
  /** Appends tried per round, over all processes (median of the rounds). */
  readonly appends: number;
  /** Appends refused with `ConcurrencyError` per round, each followed by a rebase (median). */
  readonly conflicts: number;
  /** The most refused appends a single event went through, over every round. */
  readonly maxConflictsPerEvent: number;
  /**
   * How many events one process stored in a row, on average, in the stored order (median of the
   * rounds): 1 when the processes take turns event by event; high when one keeps the stream.
   */
  readonly meanRunLength: number;
  /** How long a `Fire` took to be stored, conflicts and rebases included (milliseconds, all rounds). */
  readonly storedP50: number;
  /** The rate over the same engine's rate with one process alone, measured in the same run. */
  readonly shareOfAlone?: number;
  readonly shareTarget?: number;
  readonly met?: boolean;
  readonly storedP99: number;
  readonly storedMax: number;
  /** Every round's stream was checked: every event once, versions 1…n without a gap, all states equal. */
  readonly checked: true;
}

/** A process holding many live actors. */
export interface LiveMemoryRow {
  readonly name: string;
  readonly actors: number;
  readonly eventsPerStream: number;
  readonly liveHeapBytesPerActor: number;
  /** The same state in a plain `Actor`, which does not listen: what "live" adds is the difference. */
  readonly plainHeapBytesPerActor: number;
  readonly liveRssBytesPerActor: number;
  /** Engine subscriptions the process asked its store for. */
  readonly subscriptions: number;
  /** Actors the process's live feed delivers to. */
  readonly liveFeedConsumers: number;
  /** PostgreSQL: the LISTEN connections open for the store's schema while the actors were held. */
  readonly listeningConnections?: number;
}

export interface LiveBenchmarkResult extends BenchmarkResult {
  readonly latencies?: readonly LiveLatencyRow[];
  readonly conflicts?: readonly LiveConflictRow[];
  readonly memory?: readonly LiveMemoryRow[];
  /** What was not measured and why (PostgreSQL unreachable, say). */
  readonly notes: readonly string[];
}

function millis(value: number): string {
  return Number.isNaN(value) ? '—' : `${value.toFixed(2)} ms`;
}

function bytes(value: number): string {
  return value >= 10_240 ? `${(value / 1024).toFixed(1)} KiB` : `${Math.round(value)} B`;
}

function spread(stats: Stats, format: (value: number) => string): string {
  if (stats.samples.length === 1) return format(stats.median);
  return `${format(stats.median)} (${format(stats.min)}–${format(stats.max)})`;
}

export function formatLiveTables(results: readonly BenchmarkResult[]): string {
  const live = results as readonly LiveBenchmarkResult[];
  const tables: string[] = [];
  const latencies = live.flatMap((result) => result.latencies ?? []);
  if (latencies.length > 0) {
    tables.push(
      layout(
        [
          'live-latency',
          'events',
          'lost',
          'p50',
          'p90',
          'p99',
          'max',
          'Fire stored p50 / p99',
          'stored → handler p50 / p99',
          'pace',
          'idle CPU',
          'target',
        ],
        latencies.map((row) => [
          row.name,
          String(row.events),
          row.duplicates === 0 ? String(row.lost) : `${row.lost} (${row.duplicates} twice)`,
          millis(row.p50),
          millis(row.p90),
          millis(row.p99),
          millis(row.max),
          `${millis(row.storedP50)} / ${millis(row.storedP99)}`,
          `${millis(row.afterStoredP50)} / ${millis(row.afterStoredP99)}`,
          `${formatRate(row.firedPerSecond)}/s`,
          row.idleCpuMsPerSecond === undefined ? '—' : `${row.idleCpuMsPerSecond.toFixed(2)} ms/s`,
          row.p99TargetMs === undefined
            ? ''
            : `${row.met ? 'met' : 'MISSED'} (p99 ≤ ${row.p99TargetMs} ms${row.targetBasis === undefined ? '' : `, ${row.targetBasis}`})`,
        ]),
        [false, true, true, true, true, true, true, true, true, true, true, false],
      ),
    );
  }
  const conflicts = live.flatMap((result) => result.conflicts ?? []);
  if (conflicts.length > 0) {
    tables.push(
      layout(
        [
          'live-conflicts',
          'events',
          'events/s stored',
          'quiescence',
          'appends/round',
          'conflicts/round',
          'retries per stored event',
          'max conflicts, one event',
          'mean run, one process',
          'Fire stored p50 / p99 / max',
          '÷ 1 process',
          'target',
          'check',
        ],
        conflicts.map((row) => [
          row.name,
          `${row.processes} × ${row.eventsPerProcess}` + (row.rounds === 1 ? '' : ` × ${row.rounds} rounds`),
          spread(row.eventsPerSecond, formatRate),
          spread(row.quiescenceSeconds, (seconds) => `${seconds.toFixed(2)} s`),
          String(row.appends),
          String(row.conflicts),
          (row.conflicts / (row.processes * row.eventsPerProcess)).toFixed(2),
          String(row.maxConflictsPerEvent),
          row.meanRunLength.toFixed(1),
          `${millis(row.storedP50)} / ${millis(row.storedP99)} / ${millis(row.storedMax)}`,
          row.shareOfAlone === undefined ? '—' : `${(row.shareOfAlone * 100).toFixed(0)}%`,
          row.shareTarget === undefined
            ? ''
            : `${row.met ? 'met' : 'MISSED'} (≥ ${(row.shareTarget * 100).toFixed(0)}% of 1 process)`,
          'no gap, none lost, states equal',
        ]),
        [false, false, true, true, true, true, true, true, true, true, true, false, false],
      ),
    );
  }
  const memory = live.flatMap((result) => result.memory ?? []);
  if (memory.length > 0) {
    tables.push(
      layout(
        [
          'live-memory',
          'actors',
          'heap per LiveActor',
          'heap per plain Actor',
          'subscriptions',
          'feed consumers',
          'LISTEN connections',
        ],
        memory.map((row) => [
          row.name,
          `${row.actors} × ${row.eventsPerStream} events`,
          bytes(row.liveHeapBytesPerActor),
          bytes(row.plainHeapBytesPerActor),
          String(row.subscriptions),
          String(row.liveFeedConsumers),
          row.listeningConnections === undefined ? '—' : String(row.listeningConnections),
        ]),
        [false, true, true, true, true, true, true],
      ),
    );
  }
  const notes = live.flatMap((result) => result.notes.map((note) => `${result.benchmark}: ${note}`));
  return [...tables, ...notes].join('\n\n');
}
