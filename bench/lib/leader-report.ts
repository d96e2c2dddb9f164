/**
 * What the leaders benchmarks report, and the tables they print: for each engine, how long a
 * failover after `kill -9` and a graceful handover took (percentiles over every sample), against
 * the target, where that time went, and what the checker found in the stored stream. The same rows
 * are written as JSON with every sample.
 */
import { partsTable, samplesTable, type SampledRow } from './durations.js';
import type { BenchmarkResult } from './report.js';
import type { TermCheck } from './term-watch.js';

export interface LeaderRow extends SampledRow {
  readonly check: TermCheck;
}

export interface LeaderBenchmarkResult extends BenchmarkResult {
  readonly rows: readonly LeaderRow[];
  /** What was not measured and why. */
  readonly notes: readonly string[];
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
    tables.push(samplesTable('leaders', rows, millis, formatCheck));
    tables.push(
      partsTable(
        rows.flatMap((row) => row.parts.map((part) => [row.name, part] as const)),
        millis,
      ),
    );
  }
  // Both benchmarks say the same things when they run together: each is said once.
  const notes = new Set(leaders.flatMap((result) => result.notes.map((note) => `leaders: ${note}`)));
  return [...tables, ...notes].join('\n\n');
}
