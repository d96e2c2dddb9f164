/**
 * `readAll({ names, after })` is how a reader pages through the events of several names: it takes
 * the last position of a page as the next page's `after`. That only works if a page never holds an
 * event while leaving out an earlier one of the names asked for (SQLite reads every name in one
 * snapshot for this reason). The Redis store reads one name after the other; here another writer
 * appends between those reads, as any other process may.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };
const clients: Redis[] = [];
const opened: RedisEventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  for (const client of clients) client.disconnect();
});

describeWithRedis('reading several names from a Redis store another process writes to', () => {
  it('never answers an event while leaving out an earlier event of the names asked for', async () => {
    const prefix = freshPrefix();
    const client = new Redis(REDIS_URL);
    clients.push(client);
    const reader = redisStore({ client }, { prefix, logger: quiet });
    const writer = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
    opened.push(reader, writer);
    await writer.appendToStream('s', [{ name: 'unrelated' }]);

    // Another process appends `paid` then `shipped` while the reader is between its two reads.
    const zrangebylex = client.zrangebylex.bind(client) as (...args: unknown[]) => Promise<string[]>;
    let reads = 0;
    (client as unknown as { zrangebylex: unknown }).zrangebylex = async (...args: unknown[]) => {
      const answer = await zrangebylex(...args);
      if (++reads === 1) {
        await writer.appendToStream('s', [{ name: 'paid' }]);
        await writer.appendToStream('s', [{ name: 'shipped' }]);
      }
      return answer;
    };

    const page = await reader.readAll({ names: ['paid', 'shipped'], after: 0 });
    const last = page.at(-1)?.position ?? 0;
    const nextPage = await reader.readAll({ names: ['paid', 'shipped'], after: last });
    const seen = [...page, ...nextPage].map((event) => event.name);
    expect(seen).toEqual(['paid', 'shipped']);
  });
});
