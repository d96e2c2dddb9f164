/**
 * `npm run bench`: runs every benchmark, prints one table, and writes each benchmark's results with
 * the machine they ran on to bench/results/<name>.json (<name>-synchronous-normal.json for
 * `--synchronous normal`, so that one setting's figures never overwrite the other's).
 *
 *   npm run bench                       every benchmark, full length (a few minutes at most)
 *   npm run bench -- --quick            short runs, to check the figures move the right way
 *   npm run bench -- --only <name>      one benchmark (repeat --only for several)
 *   npm run bench -- --synchronous normal   SQLite commits that do not wait for the disk
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
import { sqliteAppends } from './sqlite-appends.js';
import { sqliteLoad } from './sqlite-load.js';

const BENCHMARKS: readonly Benchmark[] = [sqliteAppends, sqliteLoad];

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
  const unknown = (values.only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new ArgumentError(
      `unknown benchmark ${unknown.join(', ')}; the benchmarks are ${names.join(', ')}`,
    );
  }
  const selected =
    values.only === undefined
      ? BENCHMARKS
      : BENCHMARKS.filter((benchmark) => values.only!.includes(benchmark.name));

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
  const results: BenchmarkResult[] = [];
  try {
    for (const benchmark of selected) {
      const result = await benchmark.run(options);
      results.push(result);
      mkdirSync(RESULTS_DIRECTORY, { recursive: true });
      const suffix = synchronous === 'full' ? '' : `-synchronous-${synchronous}`;
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
  console.log(formatTable(results));
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
