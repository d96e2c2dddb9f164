/**
 * How soon a subscriber hears of an append on Redis: the time from the call to `appendToStream` to
 * the arrival of its event's notification, over a few thousand appends of one event made one after
 * the other, as an actor's commands make them.
 *
 * Two subscribers listen: one on the store that appends, and one on a second store instance (its
 * own connections, as another process would have), which hears the append's PUBLISH on its pub/sub
 * connection and then reads what is new. Against them, the least the server itself takes: a raw
 * PUBLISH of the version heard by a plain SUBSCRIBE on another connection, and a raw MULTI of an
 * XADD and that PUBLISH (a write and its notification in one step, as the engine's append is). The
 * three take turns in chunks, so that a slow stretch of the machine hits them all.
 */
import { redisStore } from '../src/redis.js';
import type { Benchmark, BenchmarkOptions } from './lib/benchmark.js';
import { Timings, WARMUP_APPENDS } from './lib/notify-timings.js';
import { RawRedisStreams } from './lib/raw-redis.js';
import {
  dropPrefix,
  freshPrefix,
  KeptWarnings,
  prefixedKey,
  rawClient,
  REDIS_URL,
  runRedisBenchmark,
} from './lib/redis-bench.js';
import { latencyCase } from './lib/report-postgres.js';
import { formatRedisTables, type RedisBenchmarkResult } from './lib/report-redis.js';
import { depositEvents } from './lib/workload.js';

const STREAM = 'account-latency';
/** Appends each side makes before the next takes its turn. */
const CHUNK = 100;
/** How long to wait for notifications still on their way once the last append returned. */
const DRAIN_MS = 5_000;
/** The goal for the 99th percentile of append → notification, in milliseconds (PostgreSQL's). */
const P99_TARGET_MS = 5;

export const redisNotify: Benchmark = {
  name: 'redis-notify',
  formatTable: formatRedisTables,
  run(options: BenchmarkOptions) {
    const description =
      'time from appendToStream to the notification of its event on Redis (PUBLISH, then a read by ' +
      'position), heard on the appending store and on a second store instance, against a raw ' +
      'PUBLISH → SUBSCRIBE and a raw MULTI XADD + PUBLISH → SUBSCRIBE';
    const skipped = (why: string): RedisBenchmarkResult => ({
      benchmark: 'redis-notify',
      description,
      settings: {},
      cases: [],
      skipped: why,
    });
    return runRedisBenchmark('redis-notify', description, options, skipped, async (settings) => {
      const appends = WARMUP_APPENDS + (options.quick ? 500 : 3_000);
      const events = depositEvents(appends);
      const warnings = new KeptWarnings();

      const enginePrefix = freshPrefix('engine-notify');
      const rawPrefix = freshPrefix('raw-notify');
      const rawChannel = prefixedKey(rawPrefix, 'appended');
      const appending = redisStore({ url: REDIS_URL }, { prefix: enginePrefix, logger: warnings });
      const second = redisStore({ url: REDIS_URL }, { prefix: enginePrefix, logger: warnings });
      const publisher = rawClient();
      const listener = rawClient();
      const raw = new RawRedisStreams(publisher, rawPrefix);
      const engineTimings = new Timings(2);
      // The bare PUBLISH's messages say `publish:<version>`, the MULTI's `multi:<version>`.
      const rawTimings = { publish: new Timings(1), multi: new Timings(1) };
      const subscriptions = [];
      try {
        await appending.ready();
        await second.ready();
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
        listener.on('message', (_channel: string, message: string) => {
          const at = process.hrtime.bigint();
          const [side, version] = message.split(':');
          if (side === 'publish' || side === 'multi') rawTimings[side].hear(0, Number(version), at);
        });
        await listener.subscribe(rawChannel);
        await publisher.ping();

        options.progress(`redis-notify: ${appends - WARMUP_APPENDS} appends on each side, one at a time`);
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
            rawTimings.publish.sent.set(version, process.hrtime.bigint());
            await publisher.publish(rawChannel, `publish:${version}`);
            rawTimings.publish.done.set(version, process.hrtime.bigint());
          }
          for (let index = from; index < to; index++) {
            const version = index + 1;
            rawTimings.multi.sent.set(version, process.hrtime.bigint());
            await raw.appendAndPublish(STREAM, events[index]!, rawChannel, `multi:${version}`);
            rawTimings.multi.done.set(version, process.hrtime.bigint());
          }
        }
        const deadline = Date.now() + DRAIN_MS;
        const complete = () =>
          engineTimings.complete() && rawTimings.publish.complete() && rawTimings.multi.complete();
        while (!complete() && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const sameStore = engineTimings.latencies(0);
        const secondStore = engineTimings.latencies(1);
        const bare = rawTimings.publish.latencies(0);
        const multi = rawTimings.multi.latencies(0);
        return {
          benchmark: 'redis-notify',
          description,
          settings: {
            ...settings,
            appends: appends - WARMUP_APPENDS,
            warmupAppends: WARMUP_APPENDS,
            chunk: CHUNK,
            engineWarnings: warnings.messages,
          },
          cases: [],
          latencies: [
            latencyCase('append → notification, same store', sameStore, P99_TARGET_MS),
            latencyCase('append → notification, second store', secondStore, P99_TARGET_MS),
            latencyCase('raw PUBLISH → SUBSCRIBE', bare),
            latencyCase('raw MULTI XADD + PUBLISH → SUBSCRIBE', multi),
          ],
        };
      } finally {
        for (const subscription of subscriptions) await subscription.close();
        await appending.close();
        await second.close();
        listener.disconnect();
        await dropPrefix(enginePrefix, publisher);
        await dropPrefix(rawPrefix, publisher);
        publisher.disconnect();
      }
    });
  },
};
