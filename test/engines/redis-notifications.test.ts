/**
 * Live notifications on Redis: one pub/sub connection per store wakes its subscriptions, which
 * read by position. A notification connection killed by the server (as a failover or a network
 * cut does) reconnects, and the events stored meanwhile are delivered, once, in order.
 */
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import type { EventNotification } from '../../src/engines/engine.js';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { eventually } from '../support/eventually.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from './redis/server.js';

const opened: RedisEventStore[] = [];
const quiet = { warn: () => undefined };

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(prefix: string): RedisEventStore {
  const store = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
  opened.push(store);
  return store;
}

describeWithRedis('live notifications on Redis', () => {
  it('delivers what another process stored while the notification connection was cut, once and in order', async () => {
    const prefix = freshPrefix();
    const listening = open(prefix);
    const writing = open(prefix);
    const heard: EventNotification[] = [];
    const errors: unknown[] = [];
    await listening.subscribe((batch) => heard.push(...batch), { onError: (error) => errors.push(error) });
    await writing.appendToStream('s', [{ name: 'first' }]);
    await eventually(() => expect(heard.map((n) => n.name)).toEqual(['first']));

    const admin = new Redis(REDIS_URL);
    try {
      // Only this store's notification connection: other tests share the server.
      const list = String(await admin.client('LIST'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=omniscient:notify:${prefix} `))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(1);
      expect(Number(await admin.client('KILL', 'ID', ids[0] ?? ''))).toBe(1);
      await writing.appendToStream('s', [{ name: 'while-cut' }, { name: 'also-while-cut' }]);
      await writing.appendToStream('t', [{ name: 'elsewhere' }]);
      await eventually(() =>
        expect(heard.map((n) => n.name)).toEqual(['first', 'while-cut', 'also-while-cut', 'elsewhere']),
      );
      expect(heard.map((n) => n.position)).toEqual([1, 2, 3, 4]);
    } finally {
      admin.disconnect();
    }
  });

  it('hears its own appends at once, and the same events through another store', async () => {
    const prefix = freshPrefix();
    const one = open(prefix);
    const other = open(prefix);
    const mine: number[] = [];
    const theirs: number[] = [];
    await one.subscribe((batch) => mine.push(...batch.map((n) => n.position)));
    await other.subscribe((batch) => theirs.push(...batch.map((n) => n.position)));
    for (let index = 0; index < 20; index++) await one.appendToStream(`s-${index % 3}`, [{ name: 'n' }]);
    const all = Array.from({ length: 20 }, (_, index) => index + 1);
    await eventually(() => expect(mine).toEqual(all));
    await eventually(() => expect(theirs).toEqual(all));
  });
});
