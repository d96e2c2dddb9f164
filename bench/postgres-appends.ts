/**
 * Appends per second on PostgreSQL: the engine against raw `pg` inserts of the same rows and
 * against a peer library, on the same server, interleaved in the same seconds.
 *
 * Single events measure the cost of one commit, batches of 10 the cost per event once the commit
 * is shared. 1, 8 or 64 writers (async callers in one process) append at once, either each to
 * streams of its own, with the expected version it last saw, as actors do, or all to one hot
 * stream. On the hot stream the engine's writers append with expected version `'any'`: with a
 * number, all but one of the racing writers would be refused with a conflict and the case would
 * measure conflicts. Every timed run starts from empty tables in a schema of its own.
 */
import { postgresStore } from '../src/postgres.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { compareMany } from './lib/compare-many.js';
import { distinctStreamsFor, planWriterAppends, runWriters } from './lib/concurrent-workload.js';
import type { Calibration, Contender } from './lib/measure.js';
import { PeerStore, toPeerEvent } from './lib/peer-emmett.js';
import { formatTable, POOL_SIZE, runPostgresBenchmark, WRITER_COUNTS } from './lib/postgres-bench.js';
import { countRows, dropSchema, freshSchema, POSTGRES_URL, schemaPool } from './lib/postgres-server.js';
import { createRawTable, RAW_TABLE, RawPostgresTable } from './lib/raw-postgres.js';
import { threeWayCase, type ThreeWayCase } from './lib/report-postgres.js';
import type { Target } from './lib/report.js';
import type { Spread } from './lib/workload.js';

interface AppendCase {
  readonly eventsPerAppend: number;
  readonly spread: Spread;
  readonly writers: number;
}

const CASES: readonly AppendCase[] = (['distinct streams', 'one stream'] as const).flatMap((spread) =>
  [1, 10].flatMap((eventsPerAppend) =>
    WRITER_COUNTS.map((writers) => ({ eventsPerAppend, spread, writers })),
  ),
);

/** Slices per run at most, taken in turns by the three sides (see `ComparisonPlan`). */
const SLICES = 10;

/** The goals: near the driver with few writers, at or above it with many; twice the peer throughout. */
function rawTarget(writers: number): Target {
  return { kind: 'ratio', atLeast: writers >= 64 ? 1 : 0.8 };
}
const PEER_TARGET: Target = { kind: 'ratio', atLeast: 2 };

export const postgresAppends: Benchmark = {
  name: 'postgres-appends',
  formatTable,
  run(options: BenchmarkOptions) {
    const description =
      'appendToStream on PostgreSQL with 1, 8 and 64 concurrent writers, against raw pg INSERTs in ' +
      'autocommit and @event-driven-io/emmett-postgresql appendToStream, the three interleaved';
    return runPostgresBenchmark('postgres-appends', description, options, async ({ settings }) => {
      // Five rather than the SQLite benchmarks' seven: twelve cases of three sides each must fit in minutes.
      const repetitions = options.quick ? 3 : 5;
      const cases: ThreeWayCase[] = [];
      for (const appendCase of CASES) {
        const name = caseName(appendCase);
        options.progress(`postgres-appends: ${name}`);
        const peerCounts = { appends: 0, retries: 0 };
        const comparison = await compareMany(
          [engineAppends(appendCase), rawAppends(appendCase), peerAppends(appendCase, peerCounts)],
          {
            operations: calibration(appendCase, options.quick),
            eventsPerOperation: appendCase.eventsPerAppend,
            repetitions,
            warmups: 1,
            slices: SLICES,
            // Enough appends in a slice for every writer to make several, so a slice times a throughput.
            minOperationsPerSlice: appendCase.writers * 4,
            // On the hot stream the peer's retries make it far slower than the others.
            fastestSideSeconds: options.quick ? 0.03 : 0.12,
          },
        );
        const batch = appendCase.eventsPerAppend > 1;
        cases.push(
          threeWayCase(name, batch ? 'events/s' : 'appends/s', comparison, repetitions, appendCase.writers, {
            raw: rawTarget(appendCase.writers),
            peer: PEER_TARGET,
            ...(appendCase.spread === 'one stream'
              ? { peerRetriesPerAppend: peerCounts.retries / Math.max(1, peerCounts.appends) }
              : {}),
          }),
        );
      }
      return {
        benchmark: 'postgres-appends',
        description,
        settings: {
          ...settings,
          distinctStreams: Object.fromEntries(
            WRITER_COUNTS.map((writers) => [writers, distinctStreamsFor(writers)]),
          ),
          hotStreamExpectedVersion: 'any',
        },
        cases,
      };
    });
  },
};

function caseName({ eventsPerAppend, spread, writers }: AppendCase): string {
  const events = eventsPerAppend === 1 ? '1 event' : `${eventsPerAppend} events`;
  return `append ${events}, ${writers} writer${writers === 1 ? '' : 's'}, ${spread}`;
}

/**
 * Sizes runs to take a fraction of a second on the slowest side, whatever a commit costs, with
 * enough appends for every writer to make several in every slice. The floor (two slices of four
 * appends per writer) matters on the hot stream, where the peer's racing writers retry.
 */
function calibration({ eventsPerAppend, writers }: AppendCase, quick: boolean): Calibration {
  const eventsPerRun = quick ? 4_000 : 20_000;
  const minOperations = writers * 4 * (quick ? 1 : 2);
  const maxOperations = Math.max(minOperations, Math.round(eventsPerRun / eventsPerAppend));
  return {
    warmupOperations: Math.max(minOperations, Math.round(maxOperations / 20)),
    targetSeconds: quick ? 0.1 : 0.4,
    minOperations,
    maxOperations,
  };
}

function engineAppends({ eventsPerAppend, spread, writers }: AppendCase): Contender {
  return async (appends) => {
    const plan = planWriterAppends(appends, eventsPerAppend, spread, writers);
    const schema = await freshSchema('engine');
    const store = postgresStore({ connectionString: POSTGRES_URL, poolSize: POOL_SIZE }, { schema });
    // Creating the tables and opening the pool's connections is set-up, not the first appends' cost.
    await store.ready();
    await Promise.all(Array.from({ length: POOL_SIZE }, () => store.streamVersion('warm-up')));
    const hot = spread === 'one stream';
    return {
      run(from, to) {
        return runWriters(from, to, writers, (index) => {
          const append = plan[index]!;
          return store.appendToStream(append.stream, append.events, {
            expectedVersion: hot ? 'any' : append.expectedVersion,
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
        expectStored('the engine', stored, appends * eventsPerAppend);
      },
      async dispose() {
        await store.close();
        await dropSchema(schema);
      },
    };
  };
}

function rawAppends({ eventsPerAppend, spread, writers }: AppendCase): Contender {
  return async (appends) => {
    // On the hot stream too, each append stores the versions its place in the plan gives it: the
    // baseline has no version to read or check, which is the point of a baseline.
    const plan = planWriterAppends(appends, eventsPerAppend, spread, writers);
    const schema = await freshSchema('raw');
    const pool = await schemaPool(schema, POOL_SIZE);
    await createRawTable(pool);
    const table = new RawPostgresTable(pool);
    return {
      run(from, to) {
        return runWriters(from, to, writers, (index) => {
          const append = plan[index]!;
          return table.append(append.stream, append.expectedVersion, append.events);
        });
      },
      async verify() {
        expectStored('the raw baseline', await countRows(schema, RAW_TABLE), appends * eventsPerAppend);
      },
      async dispose() {
        await pool.end();
        await dropSchema(schema);
      },
    };
  };
}

function peerAppends(
  { eventsPerAppend, spread, writers }: AppendCase,
  counts: { appends: number; retries: number },
): Contender {
  return async (appends) => {
    const plan = planWriterAppends(appends, eventsPerAppend, spread, writers);
    const events = plan.map((append) => append.events.map(toPeerEvent));
    const peer = await PeerStore.open('peer', POOL_SIZE);
    const hot = spread === 'one stream';
    return {
      run(from, to) {
        return runWriters(from, to, writers, (index) => {
          const append = plan[index]!;
          return hot
            ? peer.appendAnyVersion(append.stream, events[index]!)
            : peer.append(append.stream, events[index]!, append.expectedVersion);
        });
      },
      async verify() {
        expectStored('the peer', await peer.storedEvents(), appends * eventsPerAppend);
        counts.appends += appends;
        counts.retries += peer.retries;
      },
      dispose() {
        return peer.close();
      },
    };
  };
}

/**
 * A run that stored other than what was planned measured other work: an append answered as a
 * retry, say, costs a lookup instead of a write.
 */
function expectStored(side: string, stored: number, planned: number): void {
  if (stored !== planned) throw new Error(`${side} stored ${stored} events; the run planned ${planned}`);
}
