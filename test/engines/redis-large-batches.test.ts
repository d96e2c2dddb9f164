/**
 * One append may carry any number of events, and one read may return any number, on every engine
 * (SQLite stores a batch of 30 000 and answers its retry, and reads a stream of any length, page by
 * page). The Redis append is one script call whose arguments are seven per event, and whose retry
 * answer reads the run back inside Lua; its reads ask for every record of a read in one HMGET.
 */
import { afterAll, expect, it } from 'vitest';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };
const opened: RedisEventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

function open(): RedisEventStore {
  const store = redisStore({ url: REDIS_URL }, { prefix: freshPrefix(), logger: quiet });
  opened.push(store);
  return store;
}

const batchOf = (count: number, tag: string) =>
  Array.from({ length: count }, (_, n) => ({ id: `${tag}-${n}`, name: 'counted', data: { n } }));

describeWithRedis('large batches on the Redis store', () => {
  it('answers the retry of a batch of 10 000 events as the first append did', async () => {
    const store = open();
    const batch = batchOf(10_000, 'retry');
    const first = await store.appendToStream('s', batch);
    expect(first.version).toBe(10_000);
    const again = await store.appendToStream('s', batch);
    expect(again.version).toBe(10_000);
    expect(again.events.map((event) => event.position)).toEqual(first.events.map((event) => event.position));
    expect(await store.streamVersion('s')).toBe(10_000);
  }, 60_000);

  it('stores a batch of 30 000 events', async () => {
    const store = open();
    const appended = await store.appendToStream('s', batchOf(30_000, 'big'));
    expect(appended.version).toBe(30_000);
    expect(await store.streamVersion('s')).toBe(30_000);
  }, 60_000);
});

describeWithRedis('long reads on the Redis store', () => {
  it('reads a stream of 150 000 events whole, as Load() does, and the whole store by position', async () => {
    const store = open();
    for (let batch = 0; batch < 30; batch++) await store.appendToStream('s', batchOf(5_000, `long-${batch}`));
    expect(await store.readStream('s')).toHaveLength(150_000);
    expect(await store.readAll({ limit: 150_000 })).toHaveLength(150_000);
  }, 120_000);
});
