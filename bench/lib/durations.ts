/**
 * Durations as the leaders and elected-actor benchmarks report them: percentiles over samples,
 * stages of the measured time ("where the time goes"), and the two tables both print, samples
 * against a target and stages. Each report keeps its own number format and its own check column.
 */
import { quantile } from './report-postgres.js';
import { layout } from './report.js';

/** Percentiles of a set of durations, in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One stage of the measured time, with its own percentiles: "where the time goes". */
export interface LeaderPart extends Percentiles {
  readonly name: string;
}

/** One case on one engine: every sample, their percentiles against the target, and the stages. */
export interface SampledRow extends Percentiles {
  /** The case and the engine, e.g. `failover after kill -9, SQLite`. */
  readonly name: string;
  readonly samplesMs: readonly number[];
  /** The goal for the 99th percentile. */
  readonly targetMs: number;
  readonly met: boolean;
  readonly parts: readonly LeaderPart[];
}

/** Milliseconds to the microsecond: the clock reads finer, the machine is not that steady. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(quantile(sorted, q) * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** A row's samples against its target: met when their 99th percentile is below it. */
export function sampledRow(
  name: string,
  samplesMs: readonly number[],
  targetMs: number,
  parts: Parts,
): SampledRow {
  const stats = percentiles(samplesMs);
  return { name, samplesMs, ...stats, targetMs, met: stats.p99 < targetMs, parts: parts.summary() };
}

/** Durations by stage, one sample per succession or request. */
export class Parts {
  readonly #samples = new Map<string, number[]>();

  add(name: string, millis: number): void {
    const samples = this.#samples.get(name) ?? [];
    samples.push(millis);
    this.#samples.set(name, samples);
  }

  summary(): LeaderPart[] {
    return [...this.#samples].map(([name, samples]) => ({ name, ...percentiles(samples) }));
  }
}

/** A row per case and engine, headed `heading`: the samples' percentiles, the target, the check. */
export function samplesTable<Row extends SampledRow>(
  heading: string,
  rows: readonly Row[],
  millis: (value: number) => string,
  check: (row: Row) => string,
): string {
  return layout(
    [heading, 'samples', 'p50', 'p90', 'p99', 'max', 'target', 'check'],
    rows.map((row) => [
      row.name,
      String(row.samplesMs.length),
      millis(row.p50),
      millis(row.p90),
      millis(row.p99),
      millis(row.max),
      `${row.met ? 'met' : 'MISSED'} (p99 < ${millis(row.targetMs)})`,
      check(row),
    ]),
    [false, true, true, true, true, true, false, false],
  );
}

/** A row per stage, named after the row it belongs to: `<row>: <stage>`. */
export function partsTable(
  parts: readonly (readonly [row: string, part: LeaderPart])[],
  millis: (value: number) => string,
): string {
  return layout(
    ['where the time goes', 'p50', 'p90', 'p99', 'max'],
    parts.map(([row, part]) => [
      `${row}: ${part.name}`,
      millis(part.p50),
      millis(part.p90),
      millis(part.p99),
      millis(part.max),
    ]),
    [false, true, true, true, true],
  );
}
