/**
 * What the listener benchmarks report, and the tables they print: `ListenFor` delivery rates
 * against a raw `readAll` of the same events (the shared rate table), the reaction latencies of a
 * process manager (percentiles over every sample, with where the time goes), what the checks found,
 * and why an engine was left out. The same rows are written as JSON with every sample.
 */
import { partsTable, type LeaderPart, type Percentiles } from './durations.js';
import { formatTable, layout, type BenchmarkResult } from './report.js';

/** A process manager reacting to events one at a time, on one engine, with one actor kind. */
export interface ReactionRow extends Percentiles {
  /** The actor kind and the engine, e.g. `LiveActor, SQLite`. */
  readonly name: string;
  /** Source event stored → its reaction heard by a second listener, per event, in milliseconds. */
  readonly samplesMs: readonly number[];
  /** Events reacted to before the samples were taken. */
  readonly warmup: number;
  /** The stages of each sample: "where the time goes". */
  readonly parts: readonly LeaderPart[];
  /** What the checker found once the run was over: every reaction stored once, heard once. */
  readonly check: string;
}

export interface ListenBenchmarkResult extends BenchmarkResult {
  readonly reactions?: readonly ReactionRow[];
  /** What was not measured and why. */
  readonly notes: readonly string[];
}

function millis(value: number): string {
  if (Number.isNaN(value)) return '—';
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
}

export function formatListenTables(results: readonly BenchmarkResult[]): string {
  const listen = results as readonly ListenBenchmarkResult[];
  const tables: string[] = [];
  const rated = listen.filter((result) => result.cases.length > 0);
  if (rated.length > 0) tables.push(formatTable(rated));
  const reactions = listen.flatMap((result) => result.reactions ?? []);
  if (reactions.length > 0) {
    tables.push(
      layout(
        ['stored → reaction heard', 'samples', 'p50', 'p90', 'p99', 'max', 'check'],
        reactions.map((row) => [
          row.name,
          String(row.samplesMs.length),
          millis(row.p50),
          millis(row.p90),
          millis(row.p99),
          millis(row.max),
          row.check,
        ]),
        [false, true, true, true, true, true, false],
      ),
    );
    tables.push(
      partsTable(
        reactions.flatMap((row) => row.parts.map((part) => [row.name, part] as const)),
        millis,
      ),
    );
  }
  const notes = listen.flatMap((result) => result.notes.map((note) => `${result.benchmark}: ${note}`));
  return [...tables, ...notes].join('\n\n');
}
