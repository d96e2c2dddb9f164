/**
 * Loading a long stream from PostgreSQL: events per second read back with `readStream` in pages,
 * as an actor's `Load` reads, against raw `pg` SELECTs of the same rows and the peer library's
 * `readStream` over the same pages, interleaved in the same seconds.
 *
 * The stream is written once per side, untimed; every timed run reads it whole from a warm server
 * (its pages in PostgreSQL's buffers), which is what an actor loading in a running process sees.
 */
import { postgresStore } from '../src/postgres.js';
import { repetitionsFor, type Benchmark, type BenchmarkOptions } from './lib/benchmark.js';
import { compareMany } from './lib/compare-many.js';
import type { Contender } from './lib/measure.js';
import { PeerStore, toPeerEvent, type PeerEvent } from './lib/peer-emmett.js';
import { formatTable, POOL_SIZE, runPostgresBenchmark } from './lib/postgres-bench.js';
import { freshSchema, POSTGRES_URL, schemaPool, vacuumSchema } from './lib/postgres-server.js';
import { createRawTable, RawPostgresTable } from './lib/raw-postgres.js';
import { threeWayCase } from './lib/report-postgres.js';
import { depositEvents, depositTotal, type Deposit } from './lib/workload.js';

const STREAM = 'account-long';
const STREAM_EVENTS = 100_000;
/** The page size of an actor's `Load`, so the paged read costs what a real load costs. */
const PAGE_SIZE = 10_000;
const WRITE_BATCH = 1_000;

export const postgresLoad: Benchmark = {
  name: 'postgres-load',
  formatTable,
  run(options: BenchmarkOptions) {
    const description =
      `reading one stream of ${STREAM_EVENTS} events back from PostgreSQL in pages of ${PAGE_SIZE}, ` +
      'against raw pg SELECTs and @event-driven-io/emmett-postgresql readStream, the three interleaved';
    return runPostgresBenchmark('postgres-load', description, options, async ({ settings }) => {
      // A load is one short run, so more of them are needed for a median that noise cannot move.
      const repetitions = repetitionsFor(options) * 2 - 1;
      const expectedTotal = depositTotal(STREAM_EVENTS);

      options.progress(`postgres-load: writing a stream of ${STREAM_EVENTS} events on each side`);
      const events = depositEvents(STREAM_EVENTS);
      // The peer first: if it cannot open, no other side's connections are left open behind it.
      const peer = await PeerStore.open('peer_load', POOL_SIZE);
      const engineSchema = await freshSchema('engine_load');
      const rawSchema = await freshSchema('raw_load');
      const store = postgresStore(
        { connectionString: POSTGRES_URL, poolSize: POOL_SIZE },
        { schema: engineSchema },
      );
      const rawPool = await schemaPool(rawSchema, POOL_SIZE);
      try {
        await createRawTable(rawPool);
        const table = new RawPostgresTable(rawPool);
        for (let version = 0; version < STREAM_EVENTS; version += WRITE_BATCH) {
          const batch = events.slice(version, version + WRITE_BATCH);
          await store.appendToStream(STREAM, batch, { expectedVersion: version });
          await table.append(STREAM, version, batch);
          await peer.append(STREAM, batch.map(toPeerEvent), version);
        }
        for (const schema of [engineSchema, rawSchema, peer.schema]) await vacuumSchema(schema);

        const name = `readStream ${STREAM_EVENTS} events, pages of ${PAGE_SIZE}`;
        options.progress(`postgres-load: ${name}`);
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
            expect('events read by the engine', read, STREAM_EVENTS);
            expect('total of the events read by the engine', total, expectedTotal);
          },
        });
        const readRaw: Contender = () => ({
          async run() {
            let read = 0;
            let total = 0;
            for (;;) {
              const page = await table.readPage(STREAM, read + 1, PAGE_SIZE);
              for (const event of page) total += (event.data as Deposit).amount;
              read += page.length;
              if (page.length < PAGE_SIZE) break;
            }
            expect('events read raw', read, STREAM_EVENTS);
            expect('total of the events read raw', total, expectedTotal);
          },
        });
        const readPeer: Contender = () => ({
          async run() {
            let read = 0;
            let total = 0;
            for (;;) {
              const page: PeerEvent[] = await peer.readPage(STREAM, read + 1, read + PAGE_SIZE);
              for (const event of page) total += event.data.amount;
              read += page.length;
              if (page.length < PAGE_SIZE) break;
            }
            expect('events read by the peer', read, STREAM_EVENTS);
            expect('total of the events read by the peer', total, expectedTotal);
          },
        });
        const comparison = await compareMany([readEngine, readRaw, readPeer], {
          operations: 1,
          eventsPerOperation: STREAM_EVENTS,
          repetitions,
          warmups: 1,
          slices: 1,
        });
        return {
          benchmark: 'postgres-load',
          description,
          settings: { ...settings, streamEvents: STREAM_EVENTS, pageSize: PAGE_SIZE },
          cases: [threeWayCase(name, 'events/s', comparison, repetitions, 1)],
        };
      } finally {
        await store.close();
        await rawPool.end();
        await peer.close();
      }
    });
  },
};

/** A benchmark that measured the wrong work would be worse than none: check what each run did. */
function expect(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}
