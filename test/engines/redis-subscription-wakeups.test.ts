/**
 * A Redis store hears other processes' appends through one pub/sub connection, and reads what is
 * new when that connection is ready. Being ready is not being subscribed: the SUBSCRIBE command
 * reaches the server after the connection is up, and the catch-up read runs on another connection,
 * so an append that commits after the read and before the subscription is heard by nobody. The
 * same holds when the connection comes back after a loss and `ioredis` subscribes it again. Here
 * the SUBSCRIBE is held back (as a slow network would delay it) while another process appends.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it, vi } from 'vitest';
import type { EventNotification } from '../../src/engines/engine.js';
import { redisStore, type RedisEventStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const quiet = { warn: () => undefined };
const clients: Redis[] = [];
const opened: RedisEventStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  for (const client of clients) client.disconnect();
});

describeWithRedis('a Redis subscription starting while another process appends', () => {
  it('hears an append that commits after its catch-up read and before its SUBSCRIBE lands', async () => {
    const prefix = freshPrefix();
    const client = new Redis(REDIS_URL);
    clients.push(client);
    let releaseSubscribe: () => void = () => undefined;
    const subscribeHeld = new Promise<void>((resolve) => (releaseSubscribe = resolve));
    let subscriberReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (subscriberReady = resolve));
    let subscribed: Promise<unknown> = Promise.resolve();
    (client as unknown as { duplicate: (options?: object) => Redis }).duplicate = (options?: object) => {
      const subscriber = new Redis(REDIS_URL, { ...options });
      clients.push(subscriber);
      subscriber.once('ready', () => subscriberReady());
      const subscribe = subscriber.subscribe.bind(subscriber) as (...args: unknown[]) => Promise<unknown>;
      (subscriber as unknown as { subscribe: unknown }).subscribe = (...args: unknown[]) => {
        subscribed = subscribeHeld.then(() => subscribe(...args));
        return subscribed;
      };
      return subscriber;
    };
    const reader = redisStore({ client }, { prefix, logger: quiet });
    const writer = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
    opened.push(reader, writer);
    await writer.ready();

    const heard: EventNotification[] = [];
    await reader.subscribe((notifications) => heard.push(...notifications));
    await ready;
    // Two round trips on the reader's connection: the catch-up read the ready connection started is done.
    await reader.streamVersion('s');
    await reader.streamVersion('s');

    await writer.appendToStream('s', [{ name: 'opened' }]);
    releaseSubscribe();
    await subscribed;

    await vi.waitFor(() => expect(heard.map((notification) => notification.name)).toEqual(['opened']), {
      timeout: 5_000,
    });
  });
});

describeWithRedis('a Redis subscription whose notification connection was lost', () => {
  it('hears an append that commits after its catch-up read and before it is subscribed again', async () => {
    const prefix = freshPrefix();
    const name = `notifications-${prefix}`;
    const admin = new Redis(REDIS_URL);
    const client = new Redis(REDIS_URL);
    clients.push(admin, client);
    let subscribeCalls = 0;
    let releaseSubscribe: () => void = () => undefined;
    const subscribeHeld = new Promise<void>((resolve) => (releaseSubscribe = resolve));
    let resubscribed: Promise<unknown> = Promise.resolve();
    let subscriber: Redis | undefined;
    (client as unknown as { duplicate: (options?: object) => Redis }).duplicate = (options?: object) => {
      subscriber = new Redis(REDIS_URL, { ...options, connectionName: name });
      clients.push(subscriber);
      const subscribe = subscriber.subscribe.bind(subscriber) as (...args: unknown[]) => Promise<unknown>;
      (subscriber as unknown as { subscribe: unknown }).subscribe = (...args: unknown[]) => {
        if (++subscribeCalls === 1) return subscribe(...args);
        resubscribed = subscribeHeld.then(() => subscribe(...args));
        return resubscribed;
      };
      return subscriber;
    };
    const reader = redisStore({ client }, { prefix, logger: quiet });
    const writer = redisStore({ url: REDIS_URL }, { prefix, logger: quiet });
    opened.push(reader, writer);
    await writer.ready();

    const heard: EventNotification[] = [];
    await reader.subscribe((notifications) => heard.push(...notifications), { onError: () => undefined });
    await vi.waitFor(() => expect(subscriber?.status).toBe('ready'));
    await vi.waitFor(() => expect(subscribeCalls).toBe(1));

    // The notification connection is cut; it comes back, reads what is new, and subscribes again.
    const list = (await admin.client('LIST')) as string;
    const id = list
      .split('\n')
      .find((line) => line.includes(` name=${name} `))
      ?.match(/^id=(\d+) /)?.[1];
    expect(id).toBeDefined();
    await admin.client('KILL', 'ID', id as string);
    await vi.waitFor(() => expect(subscribeCalls).toBe(2));
    await vi.waitFor(() => expect(subscriber?.status).toBe('ready'));
    await reader.streamVersion('s');
    await reader.streamVersion('s');

    await writer.appendToStream('s', [{ name: 'opened' }]);
    releaseSubscribe();
    await resubscribed;

    await vi.waitFor(() => expect(heard.map((notification) => notification.name)).toEqual(['opened']), {
      timeout: 5_000,
    });
  });
});
