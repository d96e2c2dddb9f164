/**
 * What a benchmark reports: one row per case, the library against its raw baseline, with the
 * target the case is held to. The same rows are printed as a table and written as JSON.
 */
import { scaleStats, summarize, type Comparison, type Stats } from './measure.js';

export type Unit = 'appends/s' | 'events/s';

/** A goal a case is read against; missing it fails nothing, it is reported. */
export interface Target {
  /** `ratio`: the library's rate over the raw one (`CaseResult.ratio`); `rate`: its median rate. */
  readonly kind: 'ratio' | 'rate';
  readonly atLeast: number;
}

export interface CaseResult {
  readonly name: string;
  readonly unit: Unit;
  /** Units of work (appends, or loads) per timed run. */
  readonly operations: number;
  readonly eventsPerOperation: number;
  readonly repetitions: number;
  readonly library: Stats;
  readonly raw: Stats;
  /**
   * The library's rate over the raw one: the median of the ratios of each repetition, where both
   * sides took turns over the same seconds, so that a slow stretch of the machine cancels out.
   */
  readonly ratio: number;
  readonly pairedRatios: readonly number[];
  readonly target?: Target;
  readonly met?: boolean;
}

export interface BenchmarkResult {
  readonly benchmark: string;
  readonly description: string;
  /** What the runs were made of, so that results from different settings are not compared blindly. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly cases: readonly CaseResult[];
  /** Why the benchmark did not run (its database server unreachable, say); it then has no cases. */
  readonly skipped?: string;
}

export function caseResult(
  name: string,
  unit: Unit,
  comparison: Comparison,
  repetitions: number,
  target?: Target,
): CaseResult {
  // A rate of loads or appends becomes a rate of events by the events each one carries.
  const factor = unit === 'events/s' ? comparison.eventsPerOperation : 1;
  const library = scaleStats(comparison.library, factor);
  const raw = scaleStats(comparison.raw, factor);
  const ratio = summarize(comparison.pairedRatios).median;
  const result: CaseResult = {
    name,
    unit,
    operations: comparison.operations,
    eventsPerOperation: comparison.eventsPerOperation,
    repetitions,
    library,
    raw,
    ratio,
    pairedRatios: comparison.pairedRatios,
  };
  if (target === undefined) return result;
  const achieved = target.kind === 'ratio' ? ratio : library.median;
  return { ...result, target, met: achieved >= target.atLeast };
}

/** `1234567` → `1.23M`: enough digits for figures that vary by several percent from run to run. */
export function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)}M`;
  if (rate >= 1e4) return `${(rate / 1e3).toFixed(1)}k`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(2)}k`;
  return rate.toFixed(0);
}

function formatStats(stats: Stats): string {
  return `${formatRate(stats.median)} (${formatRate(stats.min)}–${formatRate(stats.max)})`;
}

function formatTarget(result: CaseResult): string {
  if (result.target === undefined) return '';
  const goal =
    result.target.kind === 'ratio'
      ? `≥ ${Math.round(result.target.atLeast * 100)}% of raw`
      : `≥ ${formatRate(result.target.atLeast)}`;
  return `${result.met ? 'met' : 'MISSED'} (${goal})`;
}

export function formatTable(results: readonly BenchmarkResult[]): string {
  const header = ['case', 'unit', 'omniscient median (min–max)', 'raw median (min–max)', 'ratio', 'target'];
  const rows = results.flatMap((result) =>
    result.cases.map((row) => [
      `${result.benchmark}: ${row.name}`,
      row.unit,
      formatStats(row.library),
      formatStats(row.raw),
      `${(row.ratio * 100).toFixed(0)}%`,
      formatTarget(row),
    ]),
  );
  return layout(header, rows, [false, false, true, true, true, false]);
}

/** Lays out rows with numbers on the right and words on the left. */
export function layout(
  header: readonly string[],
  rows: readonly string[][],
  numeric: readonly boolean[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
