/**
 * A Redis store reading records damaged behind its back stops with `CorruptEventError`, as the
 * SQLite and PostgreSQL stores do: corruption is not an unreachable server, and a caller that
 * tells them apart by type (to retry one, to alert on the other) must see the same type everywhere.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { CorruptEventError } from '../../src/errors.js';
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

async function storeWithThreeEvents(): Promise<{ store: RedisEventStore; prefix: string }> {
  const prefix = freshPrefix();
  const store = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
  opened.push(store);
  await store.appendToStream('s', [{ name: 'first' }, { name: 'second' }, { name: 'third' }]);
  return { store, prefix };
}

describeWithRedis('a Redis store reading a damaged record', () => {
  it('refuses an event record that is not JSON with CorruptEventError, on every read', async () => {
    const { store, prefix } = await storeWithThreeEvents();
    await admin.hset(`{${prefix}}:events`, '2', '[2,2,"x"');
    for (const read of [store.readStream('s'), store.readAll(), store.readAll({ names: ['second'] })]) {
      const error = await read.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CorruptEventError);
    }
  });

  it('refuses a stream version that is not a number with CorruptEventError', async () => {
    const { store, prefix } = await storeWithThreeEvents();
    await admin.hset(`{${prefix}}:versions`, 's', 'three');
    for (const read of [store.streamVersion('s'), store.listStreams()]) {
      const error = await read.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CorruptEventError);
    }
  });
});
