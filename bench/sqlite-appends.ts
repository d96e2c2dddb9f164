/**
 * Appends per second on a SQLite file database, against raw better-sqlite3 inserts of the same rows
 * with the same file settings.
 *
 * Each append carries the expected version its writer last saw, as an actor's does; single events
 * measure the cost of one commit, batches of 10 and 100 the cost per event once the commit is
 * shared. Appends go either round the streams of many actors or all to one stream, whose index
 * entries then land on the same pages. Every timed run starts from an empty database file.
 */
import { sqliteStore, type SynchronousMode } from '../src/sqlite.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { freshDatabaseFile, removeDatabaseFile } from './lib/files.js';
import { compare, type Calibration, type Contender } from './lib/measure.js';
import { RawEventTable } from './lib/raw-sqlite.js';
import { caseResult, type CaseResult } from './lib/report.js';
import { DISTINCT_STREAMS, planAppends, type Spread } from './lib/workload.js';

interface AppendCase {
  readonly eventsPerAppend: number;
  readonly spread: Spread;
}

const CASES: readonly AppendCase[] = [1, 10, 100].flatMap((eventsPerAppend) =>
  (['distinct streams', 'one stream'] as const).map((spread) => ({ eventsPerAppend, spread })),
);

/** Slices per run, taken in turns by the engine and the baseline (see `ComparisonPlan`). */
const SLICES = 20;

/** The goal for batches: the engine's own work should not cost more than the driver's. */
const BATCH_TARGET = { kind: 'ratio', atLeast: 0.7 } as const;

export const sqliteAppends: Benchmark = {
  name: 'sqlite-appends',
  async run(options: BenchmarkOptions) {
    const repetitions = repetitionsFor(options);
    const cases: CaseResult[] = [];
    for (const appendCase of CASES) {
      const name = caseName(appendCase);
      options.progress(`sqlite-appends: ${name}`);
      const comparison = await compare(
        engineAppends(appendCase, options.synchronous),
        rawAppends(appendCase, options.synchronous),
        {
          operations: calibration(appendCase.eventsPerAppend, options.quick),
          eventsPerOperation: appendCase.eventsPerAppend,
          repetitions,
          warmups: 1,
          slices: SLICES,
        },
      );
      const batch = appendCase.eventsPerAppend > 1;
      cases.push(
        caseResult(
          name,
          batch ? 'events/s' : 'appends/s',
          comparison,
          repetitions,
          batch ? BATCH_TARGET : undefined,
        ),
      );
    }
    return {
      benchmark: 'sqlite-appends',
      description:
        'appendToStream with an expected version on a fresh WAL file database, ' +
        'against raw better-sqlite3 inserts (one transaction per append)',
      settings: { journalMode: 'WAL', synchronous: options.synchronous, distinctStreams: DISTINCT_STREAMS },
      cases,
    };
  },
};

function caseName({ eventsPerAppend, spread }: AppendCase): string {
  const events = eventsPerAppend === 1 ? '1 event' : `${eventsPerAppend} events`;
  return `append ${events}, ${spread}`;
}

/** Sizes runs to take a fraction of a second whatever a commit costs on this disk. */
function calibration(eventsPerAppend: number, quick: boolean): Calibration {
  const eventsPerRun = quick ? 10_000 : 60_000;
  const maxOperations = Math.max(20, Math.round(eventsPerRun / eventsPerAppend));
  return {
    warmupOperations: Math.max(10, Math.round(maxOperations / 10)),
    targetSeconds: quick ? 0.1 : 0.5,
    minOperations: Math.max(5, Math.round(maxOperations / 100)),
    maxOperations,
  };
}

function engineAppends({ eventsPerAppend, spread }: AppendCase, synchronous: SynchronousMode): Contender {
  return async (appends) => {
    const plan = planAppends(appends, eventsPerAppend, spread);
    const file = freshDatabaseFile('engine');
    const store = sqliteStore({ file, synchronous });
    // An engine may set itself up on first use; that is not an append's cost.
    await store.streamVersion('warm-up');
    return {
      async run(from, to) {
        for (let index = from; index < to; index++) {
          const append = plan[index]!;
          await store.appendToStream(append.stream, append.events, {
            expectedVersion: append.expectedVersion,
          });
        }
      },
      async verify() {
        let stored = 0;
        let after: string | undefined;
        for (;;) {
          const streams = await store.listStreams(after === undefined ? {} : { after });
          for (const stream of streams) stored += stream.version;
          if (streams.length === 0) break;
          after = streams[streams.length - 1]!.stream;
        }
        expectStored('the engine', stored, appends * eventsPerAppend);
      },
      async dispose() {
        await store.close();
        removeDatabaseFile(file);
      },
    };
  };
}

function rawAppends({ eventsPerAppend, spread }: AppendCase, synchronous: SynchronousMode): Contender {
  return (appends) => {
    const plan = planAppends(appends, eventsPerAppend, spread);
    const file = freshDatabaseFile('raw');
    const table = new RawEventTable(file, synchronous);
    return {
      run(from, to) {
        for (let index = from; index < to; index++) {
          const append = plan[index]!;
          table.append(append.stream, append.expectedVersion, append.events);
        }
      },
      verify() {
        expectStored('the raw baseline', table.countEvents(), appends * eventsPerAppend);
      },
      dispose() {
        table.close();
        removeDatabaseFile(file);
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
