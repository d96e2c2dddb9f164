/**
 * Loading a long stream from a SQLite file database: events per second read back with
 * `readStream` in pages, as an actor's `Load` reads, and through `Actor.Load()` itself with a
 * handler that folds every event, against raw better-sqlite3 reads and `JSON.parse` of the same
 * rows (and the same fold).
 *
 * The stream is written once, untimed; every timed run reads it whole from a warm database, which
 * is what an actor loading in a running process sees.
 */
import { Actor, createContainer, type Container } from '../src/index.js';
import { sqliteStore } from '../src/sqlite.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { freshDatabaseFile, removeDatabaseFile } from './lib/files.js';
import { compare, type Contender } from './lib/measure.js';
import { RawEventTable } from './lib/raw-sqlite.js';
import { caseResult, type CaseResult } from './lib/report.js';
import { depositEvents, depositTotal, type Deposit } from './lib/workload.js';

const STREAM = 'account-long';
const STREAM_EVENTS = 100_000;
/** The page size of an actor's `Load`, so the paged read costs what a real load costs. */
const PAGE_SIZE = 10_000;
const WRITE_BATCH = 1_000;
const LOAD_TARGET = { kind: 'rate', atLeast: 500_000 } as const;

/**
 * The case measures replaying events, so every `Load` must fold all of them: the snapshot policy
 * is off here, or the figure would mean nothing (`snapshots-load` measures loads from a snapshot).
 */
class Account extends Actor<{ total: number }, { deposited: Deposit }> {
  static override snapshotEvery = 0;
  constructor(id: string, container: Container) {
    super(id, container);
    this._state.total = 0;
  }

  deposited(data: Deposit): void {
    this._state.total += data.amount;
  }
}

export const sqliteLoad: Benchmark = {
  name: 'sqlite-load',
  async run(options: BenchmarkOptions) {
    // A load is one short run, so more of them are needed for a median that noise cannot move.
    const repetitions = repetitionsFor(options) * 2 - 1;
    const plan = { operations: 1, eventsPerOperation: STREAM_EVENTS, repetitions, warmups: 1, slices: 1 };
    const expectedTotal = depositTotal(STREAM_EVENTS);

    options.progress(`sqlite-load: writing a stream of ${STREAM_EVENTS} events`);
    const events = depositEvents(STREAM_EVENTS);
    const engineFile = freshDatabaseFile('engine-load');
    const rawFile = freshDatabaseFile('raw-load');
    const store = sqliteStore({ file: engineFile, synchronous: options.synchronous });
    const table = new RawEventTable(rawFile, options.synchronous);
    try {
      for (let version = 0; version < STREAM_EVENTS; version += WRITE_BATCH) {
        const batch = events.slice(version, version + WRITE_BATCH);
        await store.appendToStream(STREAM, batch, { expectedVersion: version });
        table.append(STREAM, version, batch);
      }
      const container = createContainer({ store });
      const cases: CaseResult[] = [];

      const pagedRead = `readStream ${STREAM_EVENTS} events, pages of ${PAGE_SIZE}`;
      options.progress(`sqlite-load: ${pagedRead}`);
      const readEngine: Contender = () => ({
        async run() {
          let read = 0;
          for (;;) {
            const page = await store.readStream(STREAM, { fromVersion: read + 1, limit: PAGE_SIZE });
            read += page.length;
            if (page.length < PAGE_SIZE) break;
          }
          expect('events read by readStream', read, STREAM_EVENTS);
        },
      });
      const readRaw: Contender = () => ({
        run() {
          expect(
            'events read raw',
            readRawStream(table, () => undefined),
            STREAM_EVENTS,
          );
        },
      });
      cases.push(
        caseResult(pagedRead, 'events/s', await compare(readEngine, readRaw, plan), repetitions, LOAD_TARGET),
      );

      const actorLoad = `Actor.Load() of ${STREAM_EVENTS} events`;
      options.progress(`sqlite-load: ${actorLoad}`);
      const loadActor: Contender = () => {
        const account = new Account(STREAM, container);
        return {
          async run() {
            await account.Load();
            expect('total folded by Actor.Load', account.state.total, expectedTotal);
          },
        };
      };
      const foldRaw: Contender = () => ({
        run() {
          let total = 0;
          readRawStream(table, (data) => {
            total += (data as Deposit).amount;
          });
          expect('total folded raw', total, expectedTotal);
        },
      });
      cases.push(
        caseResult(actorLoad, 'events/s', await compare(loadActor, foldRaw, plan), repetitions, LOAD_TARGET),
      );

      return {
        benchmark: 'sqlite-load',
        description:
          'reading one long stream back from a warm WAL file database, through the engine and an actor, ' +
          'against raw better-sqlite3 SELECT + JSON.parse',
        settings: {
          journalMode: 'WAL',
          synchronous: options.synchronous,
          streamEvents: STREAM_EVENTS,
          pageSize: PAGE_SIZE,
        },
        cases,
      };
    } finally {
      await store.close();
      table.close();
      removeDatabaseFile(engineFile);
      removeDatabaseFile(rawFile);
    }
  },
};

/** Reads the whole stream in pages as `Load` does, handing each event's data to `apply`. */
function readRawStream(table: RawEventTable, apply: (data: unknown) => void): number {
  let read = 0;
  for (;;) {
    const page = table.readPage(STREAM, read + 1, PAGE_SIZE);
    for (const event of page) apply(event.data);
    read += page.length;
    if (page.length < PAGE_SIZE) return read;
  }
}

/** A benchmark that measured the wrong work would be worse than none: check what each run did. */
function expect(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}
