/**
 * SQLite under contention: several real processes append to one file at once, and each measures
 * what waiting for the file's single write lock costs it. SQLite lets one writer in at a time; the
 * question is how a process waits for its turn: whether its event loop keeps running meanwhile
 * (its timers, sockets and other actors are served), how long one append takes at worst, and
 * whether the turns are shared fairly between the processes.
 *
 * Each writer (`workers/contention-worker.ts`) appends one event at a time, with the expected
 * version, to streams of its own, for a fixed time. Raw `appendToStream` rather than LiveActors:
 * the write lock is one per file whatever the stream, so distinct streams measure the lock alone,
 * without the conflicts and rebases that a hot stream adds (the LiveActor benchmark measures
 * those). The same run first measures one writer alone on a fresh file: the uncontended baseline.
 *
 * Per process: append latency p50/p99/max, event-loop lag p50/p99/max
 * (`perf_hooks.monitorEventLoopDelay`), appends stored, its share of all appends, and failures.
 */
import { sqliteStore } from '../src/sqlite.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { freshDatabaseFile, removeDatabaseFile } from './lib/files.js';
import { LiveWorker, stopAll, type WorkerMessage } from './lib/live-processes.js';
import { layout, type BenchmarkResult } from './lib/report.js';

const workerScript = new URL('./workers/contention-worker.ts', import.meta.url).pathname;

/** The goals, read against the contended case's worst process. */
const TARGETS = { lagP99Ms: 20, appendP99Ms: 200 } as const;

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface ProcessFigures {
  readonly name: string;
  readonly appends: number;
  readonly failures: number;
  readonly firstFailure?: string;
  readonly elapsedMs: number;
  readonly append: Percentiles;
  readonly lag: Percentiles;
  /** This process's appends over all processes' appends in the run. */
  readonly share: number;
}

interface ContentionCase {
  readonly name: string;
  readonly processes: number;
  readonly durationMs: number;
  readonly appendsPerSecond: number;
  readonly perProcess: readonly ProcessFigures[];
  /** The smallest share over the fair share (1 / processes): 1 is perfectly fair, 0 is starvation. */
  readonly fairness: number;
}

interface ContentionResult extends BenchmarkResult {
  readonly contention: readonly ContentionCase[];
}

export const sqliteContention: Benchmark = {
  name: 'sqlite-contention',
  async run(options: BenchmarkOptions): Promise<ContentionResult> {
    const durationMs = options.quick ? 3_000 : 8_000;
    const contention: ContentionCase[] = [];
    for (const processes of [1, 4]) {
      const name = processes === 1 ? '1 process (baseline)' : `${processes} processes, one file`;
      options.progress(`sqlite-contention: ${name}`);
      contention.push(await runCase(name, processes, durationMs, options));
    }
    return {
      benchmark: 'sqlite-contention',
      description:
        'processes appending single events (expected version, streams of their own) to one SQLite ' +
        'file as fast as they can, each measuring its append latency and event-loop lag',
      settings: { journalMode: 'WAL', synchronous: options.synchronous, durationMs, targets: TARGETS },
      cases: [],
      contention,
    };
  },
  formatTable: (results) => formatContention(results as readonly ContentionResult[]),
};

async function runCase(
  name: string,
  processes: number,
  durationMs: number,
  options: BenchmarkOptions,
): Promise<ContentionCase> {
  const file = freshDatabaseFile('contention');
  // The file and its schema exist before the writers start: opening is not what is measured.
  await sqliteStore({ file }).close();
  const workers = Array.from(
    { length: processes },
    (_, index) =>
      new LiveWorker(
        `writer ${index + 1}`,
        { file, name: `writer-${index + 1}`, durationMs, synchronous: options.synchronous },
        { script: workerScript },
      ),
  );
  try {
    await Promise.all(workers.map((worker) => worker.next('ready', 30_000)));
    for (const worker of workers) worker.send('go');
    const reports = await Promise.all(
      workers.map((worker) => worker.next<WorkerReport>('done', durationMs + 60_000)),
    );
    const total = reports.reduce((sum, report) => sum + report.appends, 0);
    const perProcess = reports.map((report, index): ProcessFigures => ({
      name: workers[index]!.name,
      appends: report.appends,
      failures: report.failures,
      ...(report.firstFailure === undefined ? {} : { firstFailure: report.firstFailure }),
      elapsedMs: report.elapsedMs,
      append: report.append,
      lag: report.lag,
      share: total === 0 ? 0 : report.appends / total,
    }));
    const longest = Math.max(...perProcess.map((figures) => figures.elapsedMs));
    return {
      name,
      processes,
      durationMs,
      appendsPerSecond: Math.round((total / longest) * 1000),
      perProcess,
      fairness: Math.min(...perProcess.map((figures) => figures.share)) * processes,
    };
  } finally {
    await stopAll(workers);
    removeDatabaseFile(file);
  }
}

interface WorkerReport extends WorkerMessage {
  readonly type: 'done';
  readonly appends: number;
  readonly failures: number;
  readonly firstFailure?: string;
  readonly elapsedMs: number;
  readonly append: Percentiles;
  readonly lag: Percentiles;
}

function formatContention(results: readonly ContentionResult[]): string {
  const header = [
    'sqlite-contention',
    'process',
    'appends',
    'share',
    'append p50/p99/max ms',
    'loop lag p50/p99/max ms',
    'failed',
  ];
  const rows: string[][] = [];
  const triple = ({ p50, p99, max }: Percentiles) =>
    `${p50.toFixed(1)} / ${p99.toFixed(1)} / ${max.toFixed(0)}`;
  for (const result of results) {
    for (const row of result.contention) {
      row.perProcess.forEach((figures, index) => {
        rows.push([
          index === 0 ? `${row.name}: ${row.appendsPerSecond}/s, fairness ${row.fairness.toFixed(2)}` : '',
          figures.name,
          String(figures.appends),
          `${(figures.share * 100).toFixed(0)}%`,
          triple(figures.append),
          triple(figures.lag),
          String(figures.failures),
        ]);
      });
    }
  }
  const goals =
    `goals for the contended case: loop lag p99 ≤ ${TARGETS.lagP99Ms} ms, append p99 ≤ ` +
    `${TARGETS.appendP99Ms} ms in every process; fairness = smallest share × processes (1 = equal turns)`;
  return `${layout(header, rows, [false, false, true, true, true, true, true])}\n${goals}`;
}
