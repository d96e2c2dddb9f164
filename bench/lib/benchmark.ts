/**
 * The shape every benchmark has, so that `bench/run.ts` can run, print and save them alike.
 */
import type { SynchronousMode } from '../../src/sqlite.js';
import type { BenchmarkResult } from './report.js';

export interface BenchmarkOptions {
  /** Fewer repetitions and shorter runs: a smoke test of the figures, not figures to quote. */
  readonly quick: boolean;
  /**
   * When a SQLite commit counts as stored, for the engine and the raw baseline alike: the engine's
   * default (`'full'`, an fsync per commit) unless asked otherwise.
   */
  readonly synchronous: SynchronousMode;
  /** Reports what is being measured now, so a long run shows it is alive. */
  readonly progress: (message: string) => void;
}

export interface Benchmark {
  /** Used by `--only` and as the name of the JSON file in bench/results/. */
  readonly name: string;
  run(options: BenchmarkOptions): Promise<BenchmarkResult>;
  /**
   * Prints this benchmark's results when the shared table does not fit them (a third side, or
   * latencies rather than rates). Benchmarks sharing one such function share one table.
   */
  readonly formatTable?: (results: readonly BenchmarkResult[]) => string;
}

/** Repetitions per case: enough for a median that one noisy run cannot move. */
export function repetitionsFor(options: BenchmarkOptions): number {
  return options.quick ? 3 : 7;
}
