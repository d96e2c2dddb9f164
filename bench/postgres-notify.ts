/**
 * How soon a subscriber hears of an append on PostgreSQL: the time from the call to
 * `appendToStream` to the arrival of its event's notification, over a few thousand appends of one
 * event made one after the other, as an actor's commands make them.
 *
 * Two subscribers listen: one on the store that appends, and one on a second store instance (its
 * own connections, as another process would have). Against them, the least the server itself
 * takes: a raw INSERT that calls `pg_notify` in the same statement, heard by a plain `LISTEN` on
 * another connection. The engine's and the raw appends take turns in chunks, so that a slow
 * stretch of the machine hits both.
 */
import pg from 'pg';
import { postgresStore } from '../src/postgres.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { formatTable, POOL_SIZE, runPostgresBenchmark } from './lib/postgres-bench.js';
import { freshSchema, POSTGRES_URL, schemaPool } from './lib/postgres-server.js';
import { createRawTable, RawPostgresTable } from './lib/raw-postgres.js';
import { latencyCase } from './lib/report-postgres.js';
import { Timings, WARMUP_APPENDS } from './lib/notify-timings.js';
import { depositEvents } from './lib/workload.js';

const STREAM = 'account-latency';
/** Appends each side makes before the other takes its turn. */
const CHUNK = 100;
/** How long to wait for notifications still on their way once the last append returned. */
const DRAIN_MS = 5_000;
/** The goal for the 99th percentile of append → notification, in milliseconds. */
const P99_TARGET_MS = 5;
const RAW_CHANNEL = 'bench_raw_events';

export const postgresNotify: Benchmark = {
  name: 'postgres-notify',
  formatTable,
  run(options: BenchmarkOptions) {
    const description =
      'time from appendToStream to the notification of its event on PostgreSQL (LISTEN/NOTIFY), heard ' +
      'on the appending store and on a second store instance, against a raw INSERT + pg_notify';
    return runPostgresBenchmark('postgres-notify', description, options, async ({ settings }) => {
      const appends = WARMUP_APPENDS + (options.quick ? 500 : 3_000);
      const events = depositEvents(appends);

      const engineSchema = await freshSchema('engine_notify');
      const appending = postgresStore(
        { connectionString: POSTGRES_URL, poolSize: POOL_SIZE },
        { schema: engineSchema },
      );
      const second = postgresStore(
        { connectionString: POSTGRES_URL, poolSize: POOL_SIZE },
        { schema: engineSchema },
      );
      const rawPool = await schemaPool(await freshSchema('raw_notify'), POOL_SIZE);
      const rawListener = new pg.Client({ connectionString: POSTGRES_URL });
      const engineTimings = new Timings(2);
      const rawTimings = new Timings(1);
      const subscriptions = [];
      try {
        await appending.streamVersion('warm-up');
        await second.streamVersion('warm-up');
        for (const [subscriber, store] of [appending, second].entries()) {
          subscriptions.push(
            await store.subscribe((notifications) => {
              const at = process.hrtime.bigint();
              for (const notification of notifications) {
                if (notification.stream === STREAM) engineTimings.hear(subscriber, notification.version, at);
              }
            }),
          );
        }
        await createRawTable(rawPool);
        const table = new RawPostgresTable(rawPool);
        await rawListener.connect();
        rawListener.on('notification', (message) => {
          const at = process.hrtime.bigint();
          // The payload is `stream:version:position`.
          const [stream, version] = (message.payload ?? '').split(':');
          if (stream === STREAM) rawTimings.hear(0, Number(version), at);
        });
        await rawListener.query(`LISTEN ${RAW_CHANNEL}`);

        options.progress(`postgres-notify: ${appends - WARMUP_APPENDS} appends on each side, one at a time`);
        for (let from = 0; from < appends; from += CHUNK) {
          const to = Math.min(appends, from + CHUNK);
          for (let index = from; index < to; index++) {
            const version = index + 1;
            engineTimings.sent.set(version, process.hrtime.bigint());
            await appending.appendToStream(STREAM, [events[index]!], { expectedVersion: index });
            engineTimings.done.set(version, process.hrtime.bigint());
          }
          for (let index = from; index < to; index++) {
            const version = index + 1;
            rawTimings.sent.set(version, process.hrtime.bigint());
            await table.appendAndNotify(STREAM, version, events[index]!, RAW_CHANNEL);
            rawTimings.done.set(version, process.hrtime.bigint());
          }
        }
        const deadline = Date.now() + DRAIN_MS;
        while (!(engineTimings.complete() && rawTimings.complete()) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }

        const sameStore = engineTimings.latencies(0);
        const secondStore = engineTimings.latencies(1);
        const raw = rawTimings.latencies(0);
        return {
          benchmark: 'postgres-notify',
          description,
          settings: {
            ...settings,
            appends: appends - WARMUP_APPENDS,
            warmupAppends: WARMUP_APPENDS,
            chunk: CHUNK,
          },
          cases: [],
          latencies: [
            latencyCase('append → notification, same store', sameStore, P99_TARGET_MS),
            latencyCase('append → notification, second store', secondStore, P99_TARGET_MS),
            latencyCase('raw INSERT + pg_notify → LISTEN', raw),
          ],
        };
      } finally {
        for (const subscription of subscriptions) await subscription.close();
        await appending.close();
        await second.close();
        await rawListener.end().catch(() => undefined);
        await rawPool.end();
      }
    });
  },
};
