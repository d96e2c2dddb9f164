/**
 * What the OneActor and TickActor benchmarks report, and the tables they print: how long a
 * OneActor takes to serve again after its leader is killed or disposed, how late a TickActor's
 * ticks are stored, and the request round trip next to a LiveActor's `Fire`, each against its
 * target, with where the time goes and what the checker found in the stored streams. The same rows
 * are written as JSON with every sample.
 */
import { partsTable, samplesTable, type LeaderPart, type Percentiles, type SampledRow } from './durations.js';
import { layout, type BenchmarkResult } from './report.js';

/** What a checker found in the stored streams after a run. */
export interface ElectedCheck {
  /** What was checked and found right, when `problems` is empty. */
  readonly summary: string;
  readonly problems: readonly string[];
}

/** A OneActor's succession (failover after `kill -9`, or graceful handover), one sample per change. */
export interface SuccessionRow extends SampledRow {
  /** Requests stored but not served when the successor's `elected` record was stored, per sample. */
  readonly backlogs: readonly number[];
  /**
   * How many leaders each change elected (counted until the next change): 1, unless another
   * follower took the lease over from the successor too.
   */
  readonly elections: readonly number[];
  /** `elected` records in the request stream: the first election plus one per change, if no other leader was elected. */
  readonly terms: number;
  /** The library's warnings, by message, from the processes alive at the end. */
  readonly warnings: Readonly<Record<string, number>>;
  readonly check: ElectedCheck;
}

/** A TickActor's ticks: how late each was stored after its planned time, on the store's clock. */
export interface TickRow {
  readonly name: string;
  readonly resolutionMs: number;
  /** The first tick measured: the first one after all three processes had loaded the actor. */
  readonly firstTick: number;
  readonly ticks: number;
  /** Envelope `at` − `data.at`, both the leader's reading of the store's clock, per tick. */
  readonly latenessMs: readonly number[];
  readonly lateness: Percentiles;
  /** Ticks whose envelope `at` is before their planned `data.at`: must be 0. */
  readonly negative: number;
  /**
   * Ticks that stand for skipped slots (`data.missed`): the leader was a resolution late or more for
   * the first of them, which the lateness of the tick stored does not show. 0 for the target.
   */
  readonly missed: number;
  /** The parent's wall clock when its subscription delivered the tick − `data.at`, per tick. */
  readonly heardLatenessMs: readonly number[];
  readonly heardLateness: Percentiles;
  readonly heardNegative: number;
  /** The timer against the stored time, then the stored time against the hearing. */
  readonly parts: readonly LeaderPart[];
  /** The goal for the 99th percentile of `lateness`. */
  readonly targetMs: number;
  readonly met: boolean;
  readonly check: ElectedCheck;
}

/** Fire on one process → applied by the actor's instances on the others. */
export interface RoundTripRow {
  readonly name: string;
  readonly requests: number;
  /** Pings that some process never applied within the wait. */
  readonly lost: number;
  /** Pings some process applied twice (never expected). */
  readonly duplicates: number;
  /** `Fire` → its promise resolved, on the firing process. */
  readonly resolved: Percentiles;
  /** `Fire` → applied by the instance on another follower (OneActor) or another process (LiveActor). */
  readonly otherApplied: Percentiles;
  /** `Fire` → applied by the last of the three processes. */
  readonly everywhere: Percentiles;
  readonly firedPerSecond: number;
  /** The goal for the 99th percentile of `everywhere`, where there is one. */
  readonly targetMs?: number;
  readonly met?: boolean;
  readonly parts: readonly LeaderPart[];
}

export interface ElectedBenchmarkResult extends BenchmarkResult {
  readonly successions?: readonly SuccessionRow[];
  readonly ticks?: readonly TickRow[];
  readonly roundTrips?: readonly RoundTripRow[];
  /** What was not measured and why, and what a reader should know about the figures. */
  readonly notes: readonly string[];
}

function millis(value: number): string {
  if (Number.isNaN(value)) return '—';
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} ms`;
  if (Math.abs(value) >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

function formatCheck(check: ElectedCheck): string {
  if (check.problems.length > 0) return `FAILED: ${check.problems.slice(0, 3).join('; ')}`;
  return `ok: ${check.summary}`;
}

function trio(stats: Percentiles): string {
  return `${millis(stats.p50)} / ${millis(stats.p99)} / ${millis(stats.max)}`;
}

export function formatElectedTables(results: readonly BenchmarkResult[]): string {
  const elected = results as readonly ElectedBenchmarkResult[];
  const tables: string[] = [];
  const successions = elected.flatMap((result) => result.successions ?? []);
  const roundTrips = elected.flatMap((result) => result.roundTrips ?? []);
  if (successions.length > 0) {
    tables.push(samplesTable('OneActor', successions, millis, (row) => formatCheck(row.check)));
  }
  const ticks = elected.flatMap((result) => result.ticks ?? []);
  if (ticks.length > 0) {
    tables.push(
      layout(
        [
          'TickActor',
          'ticks',
          'stored late p50 / p99 / max',
          'negative',
          'heard late p50 / p99 / max',
          'missed',
          'target',
          'check',
        ],
        ticks.map((row) => [
          row.name,
          String(row.ticks),
          trio(row.lateness),
          String(row.negative),
          trio(row.heardLateness),
          String(row.missed),
          `${row.met ? 'met' : 'MISSED'} (p99 ≤ ${millis(row.targetMs)}, none early or skipped)`,
          formatCheck(row.check),
        ]),
        [false, true, true, true, true, true, false, false],
      ),
    );
  }
  if (roundTrips.length > 0) {
    tables.push(
      layout(
        [
          'request round trip',
          'requests',
          'lost',
          'Fire → resolved p50 / p99 / max',
          '→ applied on another p50 / p99 / max',
          '→ applied everywhere p50 / p99 / max',
          'target',
        ],
        roundTrips.map((row) => [
          row.name,
          String(row.requests),
          row.duplicates === 0 ? String(row.lost) : `${row.lost} (${row.duplicates} twice)`,
          trio(row.resolved),
          trio(row.otherApplied),
          trio(row.everywhere),
          row.targetMs === undefined
            ? ''
            : `${row.met ? 'met' : 'MISSED'} (p99 everywhere ≤ ${millis(row.targetMs)})`,
        ]),
        [false, true, true, true, true, true, false],
      ),
    );
  }
  const parts = [
    ...successions.flatMap((row) => row.parts.map((part) => [row.name, part] as const)),
    ...ticks.flatMap((row) => row.parts.map((part) => [`TickActor ${row.name}`, part] as const)),
    ...roundTrips.flatMap((row) => row.parts.map((part) => [`round trip, ${row.name}`, part] as const)),
  ];
  if (parts.length > 0) tables.push(partsTable(parts, millis));
  const notes = new Set(
    elected.flatMap((result) => result.notes.map((note) => `${result.benchmark}: ${note}`)),
  );
  return [...tables, ...notes].join('\n\n');
}
