/**
 * `npm run bench`: runs every benchmark, prints one table, and writes each benchmark's results with
 * the machine they ran on to bench/results/<name>.json (<name>-synchronous-normal.json for
 * `--synchronous normal`, so that one setting's figures never overwrite the other's).
 *
 *   npm run bench                       every benchmark, full length (a few minutes at most)
 *   npm run bench -- --quick            short runs, to check the figures move the right way
 *   npm run bench -- --only <name>      one benchmark (repeat --only for several); a group
 *                                       (`sqlite`, `postgres`, `redis`, `live`, `leaders`, `listen`) runs every benchmark
 *                                       named <group>-…
 *   npm run bench -- --synchronous normal   SQLite commits that do not wait for the disk
 *
 * The PostgreSQL benchmarks use OMNISCIENT_BENCH_POSTGRES_URL (default: a local server, user
 * postgres, database test) and are skipped, with a message, when it cannot be reached. The Redis
 * benchmarks likewise use OMNISCIENT_BENCH_REDIS_URL (default: redis://127.0.0.1:6379).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { SynchronousMode } from '../src/sqlite.js';
import type { Benchmark } from './lib/benchmark.js';
import { environment } from './lib/environment.js';
import { removeAllDatabaseFiles } from './lib/files.js';
import { formatTable, type BenchmarkResult } from './lib/report.js';
import { electedBenchmarks, redisOneFailover } from './elected-actors.js';
import { leadersBenchmarks } from './leaders.js';
import { listenBenchmarks } from './listeners.js';
import { liveBenchmarks } from './live-actor.js';
import { postgresAppends } from './postgres-appends.js';
import { postgresLoad } from './postgres-load.js';
import { postgresNotify } from './postgres-notify.js';
import { redisAppends } from './redis-appends.js';
import { redisLoad } from './redis-load.js';
import { redisNotify } from './redis-notify.js';
import { sqliteAppends } from './sqlite-appends.js';
import { sqliteContention } from './sqlite-contention.js';
import { snapshotsLoad } from './snapshots.js';
import { sqliteLoad } from './sqlite-load.js';

const BENCHMARKS: readonly Benchmark[] = [
  sqliteAppends,
  sqliteLoad,
  sqliteContention,
  postgresAppends,
  postgresLoad,
  postgresNotify,
  redisAppends,
  redisLoad,
  redisNotify,
  redisOneFailover,
  ...liveBenchmarks,
  ...leadersBenchmarks,
  ...electedBenchmarks,
  snapshotsLoad,
  ...listenBenchmarks,
];

const RESULTS_DIRECTORY = fileURLToPath(new URL('./results/', import.meta.url));

/** A mistake on the command line: reported as a sentence, without a stack. */
class ArgumentError extends Error {}

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      synchronous: { type: 'string', default: 'full' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const names = BENCHMARKS.map((benchmark) => benchmark.name);
  if (values.help) {
    console.log(
      `usage: npm run bench -- [--quick] [--only <name>]... [--synchronous full|normal]\n` +
        `benchmarks: ${names.join(', ')}`,
    );
    return;
  }
  const synchronous = values.synchronous;
  if (!isSynchronousMode(synchronous)) {
    throw new ArgumentError(`--synchronous must be full or normal, got ${synchronous}`);
  }
  // `--only postgres` names the group of every benchmark called `postgres-…`.
  const matches = (only: string, name: string) => name === only || name.startsWith(`${only}-`);
  const unknown = (values.only ?? []).filter((only) => !names.some((name) => matches(only, name)));
  if (unknown.length > 0) {
    throw new ArgumentError(
      `unknown benchmark ${unknown.join(', ')}; the benchmarks are ${names.join(', ')}`,
    );
  }
  const selected =
    values.only === undefined
      ? BENCHMARKS
      : BENCHMARKS.filter((benchmark) => values.only!.some((only) => matches(only, benchmark.name)));

  const machine = environment();
  const options = {
    quick: values.quick,
    synchronous,
    // Progress goes to stderr so that stdout is the table alone.
    progress: (message: string) => process.stderr.write(`… ${message}\n`),
  };
  console.error(
    `${machine.cpu} × ${machine.cpuCount}, Node ${machine.node}, SQLite ${machine.sqlite}, ` +
      `files in ${machine.tmpdir} (${machine.tmpdirFileSystem ?? 'unknown file system'})` +
      `, synchronous=${synchronous}` +
      (values.quick ? ', quick run' : ''),
  );

  const started = Date.now();
  const skipped: string[] = [];
  const results: BenchmarkResult[] = [];
  const ran: Benchmark[] = [];
  try {
    for (const benchmark of selected) {
      const result = await benchmark.run(options);
      // A skipped benchmark keeps the results of its last run.
      if (result.skipped !== undefined) {
        skipped.push(`${benchmark.name}: skipped: ${result.skipped}`);
        continue;
      }
      results.push(result);
      ran.push(benchmark);
      mkdirSync(RESULTS_DIRECTORY, { recursive: true });
      // `--synchronous` is a SQLite setting: other engines' results do not depend on it.
      const suffix =
        synchronous === 'full' || !benchmark.name.startsWith('sqlite') ? '' : `-synchronous-${synchronous}`;
      const file = path.join(RESULTS_DIRECTORY, `${benchmark.name}${suffix}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ environment: machine, quick: values.quick, ...result }, null, 2)}\n`,
      );
    }
  } finally {
    removeAllDatabaseFiles();
  }
  console.error(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${RESULTS_DIRECTORY}`);
  console.log(formatTables(ran, results));
  for (const message of skipped) console.log(message);
}

/** The shared table for benchmarks without a format of their own, then one table per format. */
function formatTables(benchmarks: readonly Benchmark[], results: readonly BenchmarkResult[]): string {
  const groups = new Map<Benchmark['formatTable'], BenchmarkResult[]>();
  benchmarks.forEach((benchmark, index) => {
    const group = groups.get(benchmark.formatTable) ?? [];
    group.push(results[index]!);
    groups.set(benchmark.formatTable, group);
  });
  return [...groups]
    .map(([format, group]) => (format ?? formatTable)(group))
    .filter((table) => table.length > 0)
    .join('\n\n');
}

function parseCommandLine<const Config extends ParseArgsConfig>(config: Config) {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new ArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function isSynchronousMode(value: string): value is SynchronousMode {
  return value === 'full' || value === 'normal';
}

main().catch((error: unknown) => {
  console.error(error instanceof ArgumentError ? `bench: ${error.message} (see --help)` : error);
  process.exitCode = 1;
});
