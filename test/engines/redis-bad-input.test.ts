/**
 * What the Redis engine does with input that could hurt it: stream ids and names full of Redis's
 * key-pattern characters (which it must treat as plain text, in keys and in lexical ranges), very
 * long ids, prefixes that would break its hash tag, and payloads of a mebibyte. It stores what it
 * can exactly as given, and refuses the rest up front with the same typed errors as every engine.
 */
import { Cluster } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { InvalidEventError, UsageError } from '../../src/errors.js';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from './redis/server.js';
import { rejectionOf } from './rejection-of.js';

const opened: RedisEventStore[] = [];
const quiet = { warn: () => undefined };

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(options: { maxEventBytes?: number } = {}): RedisEventStore {
  const store = redisStore({ url: REDIS_URL }, { prefix: freshPrefix(), logger: quiet, ...options });
  opened.push(store);
  return store;
}

const PATTERN_IDS = [
  'user-*',
  'user-?',
  'user-[abc]',
  'user-[^a]',
  '{user}',
  'a}b{c',
  '{}',
  'with spaces in it',
  'tab\u00a0and nbsp',
  '\\backslash\\',
  '(open',
  '[open',
  '-',
  '+',
  'émoji-🎉',
  'x'.repeat(256),
];

describeWithRedis('bad input to the Redis engine', () => {
  it('stores stream ids made of key-pattern characters as plain text, each in its own stream', async () => {
    const store = open();
    for (const [index, stream] of PATTERN_IDS.entries()) {
      await store.appendToStream(stream, [{ name: 'opened', data: { index } }]);
    }
    for (const [index, stream] of PATTERN_IDS.entries()) {
      const events = await store.readStream(stream);
      expect(events.map((event) => [event.stream, event.version, event.data])).toEqual([
        [stream, 1, { index }],
      ]);
      expect(await store.streamVersion(stream)).toBe(1);
    }
    const listed = (await store.listStreams({ limit: 100 })).map((info) => info.stream);
    expect([...listed].sort()).toEqual([...PATTERN_IDS].sort());
  });

  it('lists by a prefix made of pattern and range characters literally', async () => {
    const store = open();
    for (const stream of ['[a', '[ab', '[b', '(a', '*x', '*', '-a', '+a', 'a']) {
      await store.appendToStream(stream, [{ name: 'opened' }]);
    }
    const withPrefix = async (prefix: string) =>
      (await store.listStreams({ prefix, limit: 100 })).map((info) => info.stream);
    expect(await withPrefix('[a')).toEqual(['[a', '[ab']);
    expect(await withPrefix('(')).toEqual(['(a']);
    expect(await withPrefix('*')).toEqual(['*', '*x']);
    expect(await withPrefix('-')).toEqual(['-a']);
    expect(await withPrefix('+')).toEqual(['+a']);
    const afterBracket = (await store.listStreams({ after: '[a', prefix: '[', limit: 100 })).map(
      (i) => i.stream,
    );
    expect(afterBracket).toEqual(['[ab', '[b']);
  });

  it('refuses a stream id longer than 256 characters or with a newline, storing nothing', async () => {
    const store = open();
    for (const stream of ['x'.repeat(257), 'line\nbreak', '']) {
      const error = await rejectionOf(store.appendToStream(stream, [{ name: 'opened' }]));
      expect(error?.constructor.name).toMatch(/Error$/);
      expect((error as { code?: string }).code).toMatch(/^(INVALID_ACTOR_ID|USAGE|INVALID_EVENT)$/);
    }
    expect(await store.listStreams()).toEqual([]);
  });

  it('reads events by names that share a beginning, each name on its own', async () => {
    const store = open();
    await store.appendToStream('s', [
      { name: 'paid' },
      { name: 'paid_back' },
      { name: 'paid' },
      { name: 'pai' },
    ]);
    const named = async (...names: string[]) => (await store.readAll({ names })).map((event) => event.name);
    expect(await named('paid')).toEqual(['paid', 'paid']);
    expect(await named('pai')).toEqual(['pai']);
    expect(await named('paid_back', 'pai')).toEqual(['paid_back', 'pai']);
    const afterFirst = await store.readAll({ names: ['paid'], after: 1 });
    expect(afterFirst.map((event) => event.position)).toEqual([3]);
  });

  it('stores and reads back a 1 MiB payload whole, and refuses one over the limit with nothing stored', async () => {
    const store = open();
    const big = 'é'.repeat(512 * 1024 - 8);
    await store.appendToStream('big', [{ name: 'uploaded', data: { big } }]);
    const [event] = await store.readStream('big');
    expect((event?.data as { big: string }).big).toBe(big);

    const small = open({ maxEventBytes: 1024 });
    const error = await rejectionOf(small.appendToStream('big', [{ name: 'uploaded', data: { big } }]));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(await small.streamVersion('big')).toBe(0);
  });

  it('refuses a prefix that would break the hash tag, and a URL that is not a Redis one', () => {
    for (const prefix of ['', 'a{b', 'a}b', 'x'.repeat(65), 'line\nbreak']) {
      expect(() => redisStore({ url: REDIS_URL }, { prefix, logger: quiet })).toThrow(UsageError);
    }
    expect(() => redisStore({ url: 'http://127.0.0.1:6379' })).toThrow(UsageError);
    expect(() => redisStore({ client: {} })).toThrow(UsageError);
  });

  it("refuses a cluster client whose keyPrefix would spread the store's keys over several slots", () => {
    const spreading = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, keyPrefix: '{}' });
    expect(() => redisStore({ client: spreading })).toThrow(/several cluster slots/);
    const tagged = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, keyPrefix: 'app:' });
    expect(() => redisStore({ client: tagged }, { logger: quiet })).not.toThrow();
    spreading.disconnect();
    tagged.disconnect();
  });
});
