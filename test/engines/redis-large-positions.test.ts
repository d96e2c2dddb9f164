/**
 * Positions and versions are whole numbers up to 2^53 on every engine. The Redis append script
 * writes them into the stored record and the id index as text; these specifications start a
 * store whose counter is already past 10^14 (as a long-lived store's would be) and expect the
 * events to read back at the positions the append answered.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };
const admin = new Redis(REDIS_URL);
admin.on('error', () => undefined);
const opened: RedisEventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  admin.disconnect();
});

async function storeWithHead(head: number): Promise<RedisEventStore> {
  const prefix = freshPrefix();
  await admin.set(`{${prefix}}:head`, String(head));
  const store = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
  opened.push(store);
  return store;
}

describeWithRedis('Redis positions beyond 10^14', () => {
  it('reads events back at the positions their append answered', async () => {
    const store = await storeWithHead(99_999_999_999_998);
    const appended = await store.appendToStream('s', [
      { name: 'opened' },
      { name: 'changed' },
      { name: 'changed' },
    ]);
    expect(appended.events.map((event) => event.position)).toEqual([
      99_999_999_999_999, 100_000_000_000_000, 100_000_000_000_001,
    ]);
    const read = await store.readAll({ after: 99_999_999_999_998 });
    expect(read.map((event) => event.position)).toEqual([
      99_999_999_999_999, 100_000_000_000_000, 100_000_000_000_001,
    ]);
    const stream = await store.readStream('s');
    expect(stream.map((event) => event.position)).toEqual([
      99_999_999_999_999, 100_000_000_000_000, 100_000_000_000_001,
    ]);
  });

  it('answers a retried append as a retry past position 10^14', async () => {
    const store = await storeWithHead(100_000_000_000_000);
    const batch = [{ id: 'retried-1', name: 'opened' }];
    const first = await store.appendToStream('s', batch);
    const again = await store.appendToStream('s', batch);
    expect(again).toEqual(first);
  });
});
