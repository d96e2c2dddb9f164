/**
 * `listStreams({ prefix, after })` orders stream ids by code point on every engine (the order of
 * their UTF-8 bytes: SQLite, PostgreSQL with collation "C", Redis's own lexical order), and the
 * memory engine, the reference, compares by code point too. An `after` outside the prefix is a
 * position in that order like any other. Characters U+E000–U+FFFF (full-width forms, say) and
 * those beyond U+FFFF (emoji) compare one way by code point and the other way by UTF-16 unit.
 */
import { afterAll, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { memoryStore } from '../../src/index.js';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };
const opened: RedisEventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

const STREAMS = ['\uFF01a', '\uFF05x', '\u{1F600}a', '\u{1F600}b'];

async function listed(store: EventStore, options: { prefix: string; after: string }): Promise<string[]> {
  for (const stream of STREAMS) await store.appendToStream(stream, [{ name: 'opened' }]);
  return (await store.listStreams({ ...options, limit: 100 })).map((info) => info.stream);
}

describeWithRedis('listing Redis streams by prefix after an id outside it', () => {
  const redis = () => {
    const store = redisStore({ url: REDIS_URL }, { prefix: freshPrefix(), logger: quiet });
    opened.push(store);
    return store;
  };

  it('lists nothing after an id that comes after every id of the prefix', async () => {
    const options = { prefix: '\uFF01', after: '\u{1F600}' };
    expect(await listed(memoryStore(), options)).toEqual([]);
    expect(await listed(redis(), options)).toEqual([]);
  });

  it('lists only ids of the prefix after an id that comes before them', async () => {
    const options = { prefix: '\u{1F600}', after: '\uFF01' };
    expect(await listed(memoryStore(), options)).toEqual(['\u{1F600}a', '\u{1F600}b']);
    expect(await listed(redis(), options)).toEqual(['\u{1F600}a', '\u{1F600}b']);
  });
});
