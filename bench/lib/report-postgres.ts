/**
 * What the PostgreSQL benchmarks report: each case has three sides (the engine, the raw `pg`
 * baseline and a peer library), so a row carries the engine's ratio to each; notification latency
 * is a distribution, not a rate, and has a table of its own. The rows are printed as tables and
 * written as JSON, like the other benchmarks'.
 */
import type { ManyComparison } from './compare-many.js';
import { scaleStats, summarize, type Stats } from './measure.js';
import {
  caseResult,
  formatRate,
  type BenchmarkResult,
  type CaseResult,
  type Target,
  type Unit,
  layout,
} from './report.js';

/** A case measured on the engine (`library`), the raw baseline (`raw`) and the peer library (`peer`). */
export interface ThreeWayCase extends CaseResult {
  /** Concurrent async callers in the one process, for appends; 1 for loads. */
  readonly writers: number;
  readonly peer: Stats;
  /** The engine's rate over the peer's: the median of the ratios of each repetition. */
  readonly peerRatio: number;
  readonly peerPairedRatios: readonly number[];
  readonly peerTarget?: Target;
  readonly peerMet?: boolean;
  /**
   * Appends the peer made again after answering a conflict, per append stored (writers racing on
   * one stream, where it needs them).
   */
  readonly peerRetriesPerAppend?: number;
}

/** Times from an append call to the notification of its event, in milliseconds. */
export interface LatencyCase {
  readonly name: string;
  /** Appends whose notification arrived. */
  readonly samples: number;
  /** Appends whose notification never arrived within the wait. */
  readonly lost: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** The append's own call (until its answer), for comparison: the median and the 99th percentile. */
  readonly appendP50: number;
  readonly appendP99: number;
  /** The goal for the 99th percentile, in milliseconds. */
  readonly p99Target?: number;
  readonly met?: boolean;
}

export interface PostgresBenchmarkResult extends BenchmarkResult {
  readonly cases: readonly ThreeWayCase[];
  readonly latencies?: readonly LatencyCase[];
}

/**
 * A three-way case from a comparison of `[engine, raw, peer]`; `rawTarget` is a ratio to raw,
 * `peerTarget` a ratio to the peer.
 */
export function threeWayCase(
  name: string,
  unit: Unit,
  comparison: ManyComparison,
  repetitions: number,
  writers: number,
  targets: { raw?: Target; peer?: Target; peerRetriesPerAppend?: number } = {},
): ThreeWayCase {
  const [library, raw, peer] = comparison.rates;
  const base = caseResult(
    name,
    unit,
    {
      operations: comparison.operations,
      eventsPerOperation: comparison.eventsPerOperation,
      library: library!,
      raw: raw!,
      pairedRatios: comparison.pairedRatios[1]!,
    },
    repetitions,
    targets.raw,
  );
  const factor = unit === 'events/s' ? comparison.eventsPerOperation : 1;
  const peerPairedRatios = comparison.pairedRatios[2]!;
  const peerRatio = summarize(peerPairedRatios).median;
  return {
    ...base,
    writers,
    peer: scaleStats(peer!, factor),
    peerRatio,
    peerPairedRatios,
    ...(targets.peer === undefined
      ? {}
      : { peerTarget: targets.peer, peerMet: peerRatio >= targets.peer.atLeast }),
    ...(targets.peerRetriesPerAppend === undefined
      ? {}
      : { peerRetriesPerAppend: targets.peerRetriesPerAppend }),
  };
}

/** The `q` quantile (0–1) of sorted `values`, by the nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function latencyCase(
  name: string,
  {
    millis,
    appendMillis,
    lost,
  }: { millis: readonly number[]; appendMillis: readonly number[]; lost: number },
  p99Target?: number,
): LatencyCase {
  const sorted = [...millis].sort((a, b) => a - b);
  const appendSorted = [...appendMillis].sort((a, b) => a - b);
  const result: LatencyCase = {
    name,
    samples: sorted.length,
    lost,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    appendP50: quantile(appendSorted, 0.5),
    appendP99: quantile(appendSorted, 0.99),
  };
  if (p99Target === undefined) return result;
  return { ...result, p99Target, met: lost === 0 && result.p99 <= p99Target };
}

function isThreeWay(row: CaseResult): row is ThreeWayCase {
  return 'peer' in row;
}

function hasLatencies(
  result: BenchmarkResult,
): result is BenchmarkResult & { readonly latencies?: readonly LatencyCase[] } {
  return 'latencies' in result;
}

function formatStats(stats: Stats): string {
  return `${formatRate(stats.median)} (${formatRate(stats.min)}–${formatRate(stats.max)})`;
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${ratio.toFixed(0)}×` : `${ratio.toFixed(2)}×`;
}

function formatTargets(row: ThreeWayCase): string {
  const parts: string[] = [];
  if (row.target !== undefined) {
    parts.push(`${row.met ? 'met' : 'MISSED'} ≥ ${Math.round(row.target.atLeast * 100)}% raw`);
  }
  if (row.peerTarget !== undefined) {
    parts.push(`${row.peerMet ? 'met' : 'MISSED'} ≥ ${row.peerTarget.atLeast}× peer`);
  }
  return parts.join(', ');
}

function formatMillis(millis: number): string {
  return Number.isNaN(millis) ? '—' : `${millis.toFixed(2)} ms`;
}

/** The PostgreSQL tables: rates against raw and peer, then notification latencies. */
export function formatPostgresTables(results: readonly BenchmarkResult[]): string {
  const tables: string[] = [];
  const rateRows = results.flatMap((result) =>
    result.cases
      .filter(isThreeWay)
      .map((row) => [
        `${result.benchmark}: ${row.name}`,
        row.unit,
        formatStats(row.library),
        formatStats(row.raw),
        formatStats(row.peer) +
          (row.peerRetriesPerAppend ? ` [${row.peerRetriesPerAppend.toFixed(1)} retries/append]` : ''),
        `${(row.ratio * 100).toFixed(0)}%`,
        formatRatio(row.peerRatio),
        formatTargets(row),
      ]),
  );
  if (rateRows.length > 0) {
    tables.push(
      layout(
        [
          'case',
          'unit',
          'omniscient median (min–max)',
          'raw pg median (min–max)',
          'peer median (min–max)',
          '÷ raw',
          '÷ peer',
          'targets',
        ],
        rateRows,
        [false, false, true, true, true, true, true, false],
      ),
    );
  }
  const latencies = formatLatencyTable(results);
  if (latencies.length > 0) tables.push(latencies);
  return tables.join('\n\n');
}

/** The notification latencies of `results` (those that have some) as one table; '' when none has. */
export function formatLatencyTable(results: readonly BenchmarkResult[]): string {
  const latencyRows = results
    .filter(hasLatencies)
    .flatMap((result) =>
      (result.latencies ?? []).map((row) => [
        `${result.benchmark}: ${row.name}`,
        String(row.samples),
        String(row.lost),
        formatMillis(row.p50),
        formatMillis(row.p90),
        formatMillis(row.p99),
        formatMillis(row.max),
        `${formatMillis(row.appendP50)} / ${formatMillis(row.appendP99)}`,
        row.p99Target === undefined ? '' : `${row.met ? 'met' : 'MISSED'} (p99 ≤ ${row.p99Target} ms)`,
      ]),
    );
  if (latencyRows.length === 0) return '';
  return layout(
    ['case', 'samples', 'lost', 'p50', 'p90', 'p99', 'max', 'the append alone p50 / p99', 'target'],
    latencyRows,
    [false, true, true, true, true, true, true, true, false],
  );
}
