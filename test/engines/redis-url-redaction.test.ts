/**
 * The Redis store names itself by its URL in every message (errors, durability warnings), with
 * the password taken out. `ioredis` also reads connection options from the URL's query, the
 * password among them (`redis://host:6379/0?password=…`), as the inspector's PostgreSQL address
 * may carry one: a password there must not be printed either.
 */
import { expect, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { rejectionOf } from '../engines/rejection-of.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

describeWithRedis('the Redis store naming itself', () => {
  it('leaves a password given in the URL query out of its messages', async () => {
    const url = new URL(REDIS_URL);
    url.searchParams.set('password', 'query-secret-7f3a');
    const warnings: string[] = [];
    const store = redisStore(
      { url: url.toString() },
      { prefix: freshPrefix(), logger: { warn: (line) => warnings.push(line) }, connectionRetryMs: 200 },
    );
    await store.ready().catch(() => undefined);
    await store.close();
    const error = await rejectionOf(store.appendToStream('s', [{ name: 'opened' }]));
    expect(String((error as Error).message)).toContain('the Redis store');
    expect(String((error as Error).message)).not.toContain('query-secret-7f3a');
    for (const warning of warnings) expect(warning).not.toContain('query-secret-7f3a');
  });
});
