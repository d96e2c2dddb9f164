/**
 * A store made on an `ioredis` client the caller keeps (`redisStore({ client })`) borrows it: closing
 * the store leaves the client as it found it, so an application that makes a store per tenant (a
 * prefix each) on one shared client can open and close them for as long as it runs. And the
 * client's own options are the caller's choice: one made to fail fast (`enableOfflineQueue:
 * false`, a common setting) serves the store as well as a default one.
 */
import { Redis } from 'ioredis';
import { expect, it, vi } from 'vitest';
import type { EventNotification } from '../../src/engines/engine.js';
import { redisStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };

describeWithRedis('a Redis store on a client the caller keeps', () => {
  it('leaves the client with the listeners it had once the store is closed', async () => {
    const client = new Redis(REDIS_URL);
    try {
      const before = client.eventNames().map((event) => [event, client.listenerCount(event)]);
      for (let tenant = 0; tenant < 3; tenant++) {
        const store = redisStore({ client }, { prefix: freshPrefix(), logger: quiet });
        await store.appendToStream('s', [{ name: 'opened' }]);
        await store.close();
      }
      expect(client.eventNames().map((event) => [event, client.listenerCount(event)])).toEqual(before);
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});

describeWithRedis('a Redis store on a client made to fail fast', () => {
  it("hears another process's appends through a client without an offline queue", async () => {
    const prefix = freshPrefix();
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    const duplicates: Redis[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const made = duplicate(...args);
      duplicates.push(made);
      return made;
    };
    const reader = redisStore({ client }, { prefix, logger: quiet });
    const writer = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
    const errors: unknown[] = [];
    try {
      await writer.ready();
      const heard: EventNotification[] = [];
      await reader.subscribe((notifications) => heard.push(...notifications), {
        onError: (error) => errors.push(error),
      });
      // The notification connection is up (and has read what was new) before the other process appends.
      await vi.waitFor(() => expect(duplicates.map((made) => made.status)).toEqual(['ready']));
      await reader.streamVersion('s');
      await reader.streamVersion('s');
      await writer.appendToStream('s', [{ name: 'opened' }]);
      await vi.waitFor(() => expect(heard.map((notification) => notification.name)).toEqual(['opened']), {
        timeout: 5_000,
      });
      expect(errors).toEqual([]);
    } finally {
      await reader.close();
      await writer.close();
      client.disconnect();
    }
  });
});

describeWithRedis('closing a Redis store that has subscriptions', () => {
  it('has closed its notification connection when close() resolves', async () => {
    const client = new Redis(REDIS_URL);
    const duplicates: Redis[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const made = duplicate(...args);
      duplicates.push(made);
      return made;
    };
    const store = redisStore({ client }, { prefix: freshPrefix(), logger: quiet });
    try {
      await store.subscribe(() => undefined);
      await vi.waitFor(() => expect(duplicates.map((made) => made.status)).toEqual(['ready']));
      await store.close();
      expect(duplicates.map((made) => made.status)).toEqual(['end']);
    } finally {
      client.disconnect();
    }
  });
});
