/**
 * Loading a long stream from Redis: events per second read back with `readStream` in pages, as an
 * actor's `Load` reads, and through `Actor.Load()` itself with a handler that folds every event,
 * against raw `ioredis` XRANGEs of a Redis stream holding the same events (pages of the same size,
 * each entry's data and meta decoded, and the same fold), interleaved in the same seconds.
 *
 * Both streams are written once, untimed; every timed run reads its stream whole from the warm
 * server, which is what an actor loading in a running process sees.
 */
import { Actor, createContainer, type Container } from '../src/index.js';
import { redisStore } from '../src/redis.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { compareMany } from './lib/compare-many.js';
import type { Contender } from './lib/measure.js';
import { RawRedisStreams } from './lib/raw-redis.js';
import {
  dropPrefix,
  expectCount,
  freshPrefix,
  KeptWarnings,
  rawClient,
  REDIS_URL,
  runRedisBenchmark,
} from './lib/redis-bench.js';
import { formatRedisTables, twoSidedCase, type RedisBenchmarkResult } from './lib/report-redis.js';
import { depositEvents, depositTotal, type Deposit } from './lib/workload.js';

const STREAM = 'account-long';
const STREAM_EVENTS = 100_000;
/** The page size of an actor's `Load`, so the paged read costs what a real load costs. */
const PAGE_SIZE = 10_000;
const WRITE_BATCH = 1_000;

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

export const redisLoad: Benchmark = {
  name: 'redis-load',
  formatTable: formatRedisTables,
  run(options: BenchmarkOptions) {
    const description =
      `reading one stream of ${STREAM_EVENTS} events back from Redis in pages of ${PAGE_SIZE}, by ` +
      'readStream and by Actor.Load(), against raw ioredis XRANGE of a Redis stream of the same events, interleaved';
    const skipped = (why: string): RedisBenchmarkResult => ({
      benchmark: 'redis-load',
      description,
      settings: {},
      cases: [],
      skipped: why,
    });
    return runRedisBenchmark('redis-load', description, options, skipped, async (settings) => {
      // A load is one short run, so more of them are needed for a median that noise cannot move.
      const repetitions = repetitionsFor(options) * 2 - 1;
      const plan = { operations: 1, eventsPerOperation: STREAM_EVENTS, repetitions, warmups: 1, slices: 1 };
      const expectedTotal = depositTotal(STREAM_EVENTS);
      const warnings = new KeptWarnings();

      options.progress(`redis-load: writing a stream of ${STREAM_EVENTS} events on each side`);
      const events = depositEvents(STREAM_EVENTS);
      const enginePrefix = freshPrefix('engine-load');
      const rawPrefix = freshPrefix('raw-load');
      const store = redisStore({ url: REDIS_URL }, { prefix: enginePrefix, logger: warnings });
      const client = rawClient();
      const raw = new RawRedisStreams(client, rawPrefix);
      try {
        await store.ready();
        for (let version = 0; version < STREAM_EVENTS; version += WRITE_BATCH) {
          const batch = events.slice(version, version + WRITE_BATCH);
          await store.appendToStream(STREAM, batch, { expectedVersion: version });
          await raw.append(STREAM, batch);
        }
        const container = createContainer({ store });

        /** Reads the raw stream whole in pages, handing each event's data to `apply`. */
        const readRaw = async (apply: (data: Deposit) => void): Promise<number> => {
          let read = 0;
          let after = '-';
          for (;;) {
            const page = await raw.readPage(STREAM, after, PAGE_SIZE);
            for (const event of page) apply(event.data as Deposit);
            read += page.length;
            if (page.length < PAGE_SIZE) return read;
            after = page[page.length - 1]!.entry;
          }
        };

        const pagedRead = `readStream ${STREAM_EVENTS} events, pages of ${PAGE_SIZE}`;
        options.progress(`redis-load: ${pagedRead}`);
        const readEngine: Contender = () => ({
          async run() {
            let read = 0;
            let total = 0;
            for (;;) {
              const page = await store.readStream(STREAM, { fromVersion: read + 1, limit: PAGE_SIZE });
              for (const event of page) total += (event.data as Deposit).amount;
              read += page.length;
              if (page.length < PAGE_SIZE) break;
            }
            expectCount('events read by readStream', read, STREAM_EVENTS);
            expectCount('total of the events read by readStream', total, expectedTotal);
          },
        });
        const foldRaw: Contender = () => ({
          async run() {
            let total = 0;
            const read = await readRaw((data) => (total += data.amount));
            expectCount('events read raw', read, STREAM_EVENTS);
            expectCount('total of the events read raw', total, expectedTotal);
          },
        });
        const readCase = twoSidedCase(
          pagedRead,
          'events/s',
          await compareMany([readEngine, foldRaw], plan),
          repetitions,
        );

        const actorLoad = `Actor.Load() of ${STREAM_EVENTS} events`;
        options.progress(`redis-load: ${actorLoad}`);
        const loadActor: Contender = () => {
          const account = new Account(STREAM, container);
          return {
            async run() {
              await account.Load();
              expectCount('total folded by Actor.Load', account.state.total, expectedTotal);
            },
          };
        };
        const loadCase = twoSidedCase(
          actorLoad,
          'events/s',
          await compareMany([loadActor, foldRaw], plan),
          repetitions,
        );
        return {
          benchmark: 'redis-load',
          description,
          settings: {
            ...settings,
            streamEvents: STREAM_EVENTS,
            pageSize: PAGE_SIZE,
            engineWarnings: warnings.messages,
          },
          cases: [readCase, loadCase],
        };
      } finally {
        await store.close();
        await dropPrefix(enginePrefix, client);
        await dropPrefix(rawPrefix, client);
        client.disconnect();
      }
    });
  },
};
