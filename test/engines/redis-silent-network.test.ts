/**
 * "Calls retry a server they cannot reach up to connectionRetryMs and then reject with
 * StoreUnavailableError." A server can become unreachable without the connection closing: a
 * network partition, a machine that froze or lost power, a firewall that drops packets. The store's
 * connection then stays open and a call sent on it is never answered; TCP keep-alive notices only
 * after many minutes. Here a proxy between the store and Redis stops passing bytes both ways
 * without closing anything.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { redisStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

/** A guard against hanging, far beyond the store's connectionRetryMs of 500 ms. */
const SETTLE_DEADLINE_MS = 15_000;

interface Proxy {
  readonly url: string;
  /** Stops passing bytes either way; nothing is closed. */
  freeze(): void;
  close(): Promise<void>;
}

async function proxyTo(target: URL): Promise<Proxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => (frozen = true),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describeWithRedis('a Redis store whose server stops answering without closing the connection', () => {
  it('rejects a call with StoreUnavailableError instead of waiting for ever', async () => {
    const proxy = await proxyTo(new URL(REDIS_URL));
    const store = redisStore(
      { url: proxy.url },
      { prefix: freshPrefix(), logger: { warn: () => undefined }, connectionRetryMs: 500 },
    );
    try {
      await store.ready();
      await store.appendToStream('s', [{ name: 'opened' }]);
      proxy.freeze();
      const outcome = await Promise.race([
        store.appendToStream('s', [{ name: 'changed' }]).then(
          () => 'stored',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), SETTLE_DEADLINE_MS)),
      ]);
      expect(outcome).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await proxy.close();
      await store.close();
    }
  }, 60_000);
});
