/**
 * `snapshots-load`: `Actor.Load()` of a long stream from a SQLite file database, with and without
 * a snapshot at the end of the stream, in the same run, for a stream of 10 000 and of 100 000
 * events. The target: with a snapshot, the time does not grow with the stream's length, and at
 * 100 000 events it is at least 50 times as fast as a replay.
 *
 * The stream and its snapshot are written once, untimed. Each timed run loads a fresh instance
 * (a first `Load`, the one a snapshot serves), the two contenders taking turns, and every run
 * checks the folded total, so that a load that skipped work cannot pass for a fast one.
 */
import { Actor, createContainer, type Container } from '../src/index.js';
import { sqliteStore } from '../src/sqlite.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { freshDatabaseFile, removeDatabaseFile } from './lib/files.js';
import { summarize, type Stats } from './lib/measure.js';
import { layout, type BenchmarkResult } from './lib/report.js';
import { depositEvents, depositTotal, type Deposit } from './lib/workload.js';

const LENGTHS = [10_000, 100_000] as const;
const WRITE_BATCH = 1_000;
/** With a snapshot, a load of 100 000 events must be at least this many times as fast as a replay. */
const SPEED_UP_TARGET = 50;

interface AccountState {
  total: number;
  /** Deposits by hundred, so the snapshot holds more than a number: a Map of 100 entries. */
  byBand: Map<number, number>;
}

/** Replays every event: the policy is off. */
class ReplayedAccount extends Actor<AccountState, { deposited: Deposit }> {
  static override snapshotEvery = 0;
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { total: 0, byBand: new Map() };
  }
  deposited(data: Deposit): void {
    this._state.total += data.amount;
    const band = data.amount % 100;
    this._state.byBand.set(band, (this._state.byBand.get(band) ?? 0) + 1);
  }
}

/** The same handlers under snapshots; its name is its snapshot key. */
class SnapshotAccount extends ReplayedAccount {
  static override snapshotEvery = 1_000;
}

interface LoadRow {
  readonly events: number;
  readonly replay: Stats;
  readonly snapshot: Stats;
  /** The median of the paired ratios replay / snapshot. */
  readonly speedUp: number;
}

interface SnapshotsResult extends BenchmarkResult {
  readonly loads: readonly LoadRow[];
}

export const snapshotsLoad: Benchmark = {
  name: 'snapshots-load',
  async run(options: BenchmarkOptions): Promise<SnapshotsResult> {
    const repetitions = repetitionsFor(options) * 2 - 1;
    const loads: LoadRow[] = [];
    for (const length of LENGTHS) loads.push(await measureLength(length, repetitions, options));
    const longest = loads[loads.length - 1]!;
    return {
      benchmark: 'snapshots-load',
      description:
        'Actor.Load() of one long stream from a warm WAL file database, replaying every event ' +
        'against starting from a snapshot at its end',
      settings: {
        journalMode: 'WAL',
        synchronous: options.synchronous,
        lengths: LENGTHS,
        repetitions,
        speedUpTarget: SPEED_UP_TARGET,
        met: longest.speedUp >= SPEED_UP_TARGET,
      },
      cases: [],
      loads,
    };
  },
  formatTable(results) {
    const rows = results.flatMap((result) =>
      (result as SnapshotsResult).loads.map((row) => [
        `Actor.Load() of ${row.events} events`,
        formatMs(row.replay),
        formatMs(row.snapshot),
        `${row.speedUp.toFixed(0)}×`,
        row.events === LENGTHS[LENGTHS.length - 1]
          ? `≥ ${SPEED_UP_TARGET}× ${row.speedUp >= SPEED_UP_TARGET ? 'met' : 'MISSED'}`
          : '',
      ]),
    );
    return layout(
      [
        'snapshots-load (SQLite file)',
        'replay ms (median, min–max)',
        'from snapshot ms',
        'speed-up',
        'target',
      ],
      rows,
      [false, true, true, true, false],
    );
  },
};

async function measureLength(
  length: number,
  repetitions: number,
  options: BenchmarkOptions,
): Promise<LoadRow> {
  const stream = `account-${length}`;
  const file = freshDatabaseFile(`snapshots-${length}`);
  const store = sqliteStore({ file, synchronous: options.synchronous });
  try {
    options.progress(`snapshots-load: writing a stream of ${length} events and its snapshot`);
    const events = depositEvents(length);
    for (let version = 0; version < length; version += WRITE_BATCH) {
      await store.appendToStream(stream, events.slice(version, version + WRITE_BATCH), {
        expectedVersion: version,
      });
    }
    const container = createContainer({ store });
    const expectedTotal = depositTotal(length);
    // One replay takes the snapshots as it goes; the last one covers the whole stream.
    await new SnapshotAccount(stream, container).Load();
    for (let turn = 0; turn < 10_000; turn++) {
      if ((await store.readSnapshot(stream, SnapshotAccount.name))?.version === length) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const snapshot = await store.readSnapshot(stream, SnapshotAccount.name);
    if (snapshot?.version !== length) throw new Error(`no snapshot at version ${length} of ${stream}`);

    options.progress(`snapshots-load: Load() of ${length} events, replayed and from the snapshot`);
    const load = async (Account: typeof ReplayedAccount): Promise<number> => {
      const started = performance.now();
      const account = await new Account(stream, container).Load();
      const elapsed = performance.now() - started;
      if (account.state.total !== expectedTotal || account.version !== length) {
        throw new Error(
          `${Account.name} loaded ${account.state.total} at ${account.version}, not ${expectedTotal} at ${length}`,
        );
      }
      return elapsed;
    };
    // A warm-up of each, then both take turns, so that a slow stretch of the machine hits both.
    await load(ReplayedAccount);
    await load(SnapshotAccount);
    const replay: number[] = [];
    const fromSnapshot: number[] = [];
    const ratios: number[] = [];
    for (let repetition = 0; repetition < repetitions; repetition++) {
      const replayed = await load(ReplayedAccount);
      const restored = await load(SnapshotAccount);
      replay.push(replayed);
      fromSnapshot.push(restored);
      ratios.push(replayed / restored);
    }
    return {
      events: length,
      replay: summarize(replay),
      snapshot: summarize(fromSnapshot),
      speedUp: summarize(ratios).median,
    };
  } finally {
    await store.close();
    removeDatabaseFile(file);
  }
}

function formatMs(stats: Stats): string {
  return `${stats.median.toFixed(2)} (${stats.min.toFixed(2)}–${stats.max.toFixed(2)})`;
}
