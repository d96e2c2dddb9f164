/**
 * Appends per second on Redis: the engine against raw `ioredis` XADDs of the same events, on the
 * same server, interleaved in the same seconds.
 *
 * Single events measure the cost of one append, batches of 10 the cost per event once the round
 * trip is shared. 1, 8 or 64 writers (async callers in one process, the engine's one command
 * connection and the baseline's one connection shared by them, as ioredis pipelines them) append
 * at once, each to streams of its own, with the expected version it last saw, as actors do. The
 * raw side makes one XADD per event: one XADD for a single event, one MULTI of 10 XADDs (one round
 * trip, applied at once) for a batch (`raw-redis.ts`). Every timed run works under a prefix of its
 * own, whose keys are deleted after it.
 */
import { redisStore } from '../src/redis.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { compareMany } from './lib/compare-many.js';
import { distinctStreamsFor, planWriterAppends, runWriters } from './lib/concurrent-workload.js';
import type { Calibration, Contender } from './lib/measure.js';
import { RawRedisStreams } from './lib/raw-redis.js';
import {
  dropPrefix,
  expectCount,
  freshPrefix,
  KeptWarnings,
  rawClient,
  REDIS_URL,
  runRedisBenchmark,
  WRITER_COUNTS,
} from './lib/redis-bench.js';
import { formatRedisTables, twoSidedCase, type RedisBenchmarkResult } from './lib/report-redis.js';
import type { CaseResult, Target } from './lib/report.js';

interface AppendCase {
  readonly eventsPerAppend: number;
  readonly writers: number;
}

const CASES: readonly AppendCase[] = [1, 10].flatMap((eventsPerAppend) =>
  WRITER_COUNTS.map((writers) => ({ eventsPerAppend, writers })),
);

/** Slices per run at most, taken in turns by the two sides (see `ComparisonPlan`). */
const SLICES = 10;

/** The goal: at least 70% of raw XADDs throughout. */
const RAW_TARGET: Target = { kind: 'ratio', atLeast: 0.7 };

export const redisAppends: Benchmark = {
  name: 'redis-appends',
  formatTable: formatRedisTables,
  run(options: BenchmarkOptions) {
    const description =
      'appendToStream on Redis with 1, 8 and 64 concurrent writers on distinct streams, against raw ' +
      'ioredis XADD (one XADD per event; a batch is one MULTI of 10 XADDs), the two interleaved';
    const skipped = (why: string): RedisBenchmarkResult => ({
      benchmark: 'redis-appends',
      description,
      settings: {},
      cases: [],
      skipped: why,
    });
    return runRedisBenchmark('redis-appends', description, options, skipped, async (settings) => {
      const repetitions = options.quick ? 3 : 5;
      const warnings = new KeptWarnings();
      const cases: CaseResult[] = [];
      for (const appendCase of CASES) {
        const name = caseName(appendCase);
        options.progress(`redis-appends: ${name}`);
        const comparison = await compareMany([engineAppends(appendCase, warnings), rawAppends(appendCase)], {
          operations: calibration(appendCase, options.quick),
          eventsPerOperation: appendCase.eventsPerAppend,
          repetitions,
          warmups: 1,
          slices: SLICES,
          // Enough appends in a slice for every writer to make several, so a slice times a throughput.
          minOperationsPerSlice: appendCase.writers * 4,
          fastestSideSeconds: options.quick ? 0.03 : 0.12,
        });
        const batch = appendCase.eventsPerAppend > 1;
        cases.push(twoSidedCase(name, batch ? 'events/s' : 'appends/s', comparison, repetitions, RAW_TARGET));
      }
      return {
        benchmark: 'redis-appends',
        description,
        settings: {
          ...settings,
          distinctStreams: Object.fromEntries(
            WRITER_COUNTS.map((writers) => [writers, distinctStreamsFor(writers)]),
          ),
          rawBatch: 'one MULTI … EXEC of one XADD per event',
          engineWarnings: warnings.messages,
        },
        cases,
      };
    });
  },
};

function caseName({ eventsPerAppend, writers }: AppendCase): string {
  const events = eventsPerAppend === 1 ? '1 event' : `${eventsPerAppend} events`;
  return `append ${events}, ${writers} writer${writers === 1 ? '' : 's'}, distinct streams`;
}

/** Sizes runs to take a fraction of a second on the slower side, with several appends per writer per slice. */
function calibration({ eventsPerAppend, writers }: AppendCase, quick: boolean): Calibration {
  const eventsPerRun = quick ? 10_000 : 60_000;
  const minOperations = writers * 4 * (quick ? 1 : 2);
  const maxOperations = Math.max(minOperations, Math.round(eventsPerRun / eventsPerAppend));
  return {
    warmupOperations: Math.max(minOperations, Math.round(maxOperations / 20)),
    targetSeconds: quick ? 0.1 : 0.4,
    minOperations,
    maxOperations,
  };
}

function engineAppends({ eventsPerAppend, writers }: AppendCase, warnings: KeptWarnings): Contender {
  return async (appends) => {
    const plan = planWriterAppends(appends, eventsPerAppend, 'distinct streams', writers);
    const prefix = freshPrefix('engine');
    const store = redisStore({ url: REDIS_URL }, { prefix, logger: warnings });
    // Connecting and loading the scripts is set-up, not the first appends' cost.
    await store.ready();
    await store.streamVersion('warm-up');
    return {
      run(from, to) {
        return runWriters(from, to, writers, (index) => {
          const append = plan[index]!;
          return store.appendToStream(append.stream, append.events, {
            expectedVersion: append.expectedVersion,
          });
        });
      },
      async verify() {
        let stored = 0;
        let after: string | undefined;
        for (;;) {
          const streams = await store.listStreams(after === undefined ? {} : { after });
          if (streams.length === 0) break;
          for (const stream of streams) stored += stream.version;
          after = streams[streams.length - 1]!.stream;
        }
        expectCount('events stored by the engine', stored, appends * eventsPerAppend);
      },
      async dispose() {
        await store.close();
        await dropPrefix(prefix);
      },
    };
  };
}

function rawAppends({ eventsPerAppend, writers }: AppendCase): Contender {
  return async (appends) => {
    const plan = planWriterAppends(appends, eventsPerAppend, 'distinct streams', writers);
    const prefix = freshPrefix('raw');
    const client = rawClient();
    await client.ping();
    const streams = new RawRedisStreams(client, prefix);
    return {
      run(from, to) {
        return runWriters(from, to, writers, (index) => {
          const append = plan[index]!;
          return streams.append(append.stream, append.events);
        });
      },
      async verify() {
        const names = [...new Set(plan.map((append) => append.stream))];
        expectCount('events stored raw', await streams.count(names), appends * eventsPerAppend);
      },
      async dispose() {
        await dropPrefix(prefix, client);
        client.disconnect();
      },
    };
  };
}
