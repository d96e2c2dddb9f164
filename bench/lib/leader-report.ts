/**
 * What the leaders benchmarks report, and the tables they print: for each engine, how long a
 * failover after `kill -9` and a graceful handover took (percentiles over every sample), against
 * the target, where that time went, and what the checker found in the stored stream. The same rows
 * are written as JSON with every sample.
 */
import { quantile } from './report-postgres.js';
import { layout, type BenchmarkResult } from './report.js';
import type { TermCheck } from './term-watch.js';

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

export interface LeaderRow extends Percentiles {
  /** The case and the engine, e.g. `failover after kill -9, SQLite`. */
  readonly name: string;
  readonly samplesMs: readonly number[];
  /** The goal for the 99th percentile. */
  readonly targetMs: number;
  readonly met: boolean;
  readonly parts: readonly LeaderPart[];
  readonly check: TermCheck;
}

export interface LeaderBenchmarkResult extends BenchmarkResult {
  readonly rows: readonly LeaderRow[];
  /** What was not measured and why. */
  readonly notes: readonly string[];
}

/** Milliseconds to the microsecond: the clock reads finer, the machine is not that steady. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(quantile(sorted, q) * 1000) / 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

function millis(value: number): string {
  if (Number.isNaN(value)) return '—';
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function formatCheck(row: LeaderRow): string {
  const { check } = row;
  if (check.problems.length > 0) return `FAILED: ${check.problems.slice(0, 3).join('; ')}`;
  return `ok: ${check.events} events, ${check.terms} terms, never back, one writer each`;
}

export function formatLeaderTables(results: readonly BenchmarkResult[]): string {
  const leaders = results as readonly LeaderBenchmarkResult[];
  const rows = leaders.flatMap((result) => result.rows);
  const tables: string[] = [];
  if (rows.length > 0) {
    tables.push(
      layout(
        ['leaders', 'samples', 'p50', 'p90', 'p99', 'max', 'target', 'check'],
        rows.map((row) => [
          row.name,
          String(row.samplesMs.length),
          millis(row.p50),
          millis(row.p90),
          millis(row.p99),
          millis(row.max),
          `${row.met ? 'met' : 'MISSED'} (p99 < ${millis(row.targetMs)})`,
          formatCheck(row),
        ]),
        [false, true, true, true, true, true, false, false],
      ),
    );
    tables.push(
      layout(
        ['where the time goes', 'p50', 'p90', 'p99', 'max'],
        rows.flatMap((row) =>
          row.parts.map((part) => [
            `${row.name}: ${part.name}`,
            millis(part.p50),
            millis(part.p90),
            millis(part.p99),
            millis(part.max),
          ]),
        ),
        [false, true, true, true, true],
      ),
    );
  }
  // Both benchmarks say the same things when they run together: each is said once.
  const notes = new Set(leaders.flatMap((result) => result.notes.map((note) => `leaders: ${note}`)));
  return [...tables, ...notes].join('\n\n');
}
