/**
 * Redis killed (SIGKILL) and started again in the middle of a run of appends: every append either
 * succeeds or rejects with `StoreUnavailableError`, never half a batch; every append that
 * succeeded is there after the restart, once; and the store carries on without being made again.
 */
import { expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { redisStore } from '../../src/redis.js';
import { DisposableRedis } from './redis/disposable-redis.js';
import { describeWithRedis } from './redis/server.js';

describeWithRedis('a Redis server restarted under a running store', () => {
  it('gives success or a typed error for each append, never half a batch, and loses nothing acknowledged', async () => {
    const server = await DisposableRedis.start();
    const store = redisStore(
      { url: server.url },
      { logger: { warn: () => undefined }, connectionRetryMs: 400 },
    );
    const acknowledged: string[] = [];
    const refused: string[] = [];
    try {
      await store.ready();
      let stop = false;
      const writers = Array.from({ length: 4 }, async (_, writer) => {
        for (let batch = 0; !stop; batch++) {
          const stream = `writer-${writer}-batch-${batch}`;
          try {
            await store.appendToStream(
              stream,
              Array.from({ length: 10 }, (__, n) => ({ name: 'counted', data: { n } })),
            );
            acknowledged.push(stream);
          } catch (error) {
            expect(error).toBeInstanceOf(StoreUnavailableError);
            refused.push(stream);
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 700));
      await server.startAgain();
      await new Promise((resolve) => setTimeout(resolve, 500));
      stop = true;
      await Promise.all(writers);

      expect(refused.length).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(0);
      const streams = await store.listStreams({ limit: 100_000 });
      for (const { stream, version } of streams) expect(version, stream).toBe(10);
      const stored = new Set(streams.map((info) => info.stream));
      for (const stream of acknowledged) expect(stored.has(stream), stream).toBe(true);
      const all = await store.readAll({ limit: 100_000 });
      expect(all.map((event) => event.position)).toEqual(all.map((_, index) => index + 1));
      expect(all).toHaveLength(streams.length * 10);
      await store.appendToStream('after-the-restart', [{ name: 'opened' }]);
      expect(await store.streamVersion('after-the-restart')).toBe(1);
    } finally {
      await store.close();
      await server.dispose();
    }
  }, 30_000);
});
