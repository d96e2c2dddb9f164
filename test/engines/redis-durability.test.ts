/**
 * Durability told straight: at `ready()` the Redis store reads the server's persistence settings
 * and says, through its logger, when acknowledged events can be lost and which setting fixes it;
 * a server that will not tell (no CONFIG for the user) is said so; a user that may not run scripts
 * gets a clear refusal, since every call of the store is a script.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { judgeDurability } from '../../src/engines/redis/durability.js';
import { redisStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from './redis/server.js';
import { rejectionOf } from './rejection-of.js';

describe('what the persistence settings mean for acknowledged events', () => {
  const judged = (settings: Record<string, string>) => judgeDurability(new Map(Object.entries(settings)));

  it('appendonly with appendfsync always loses nothing', () => {
    expect(judged({ appendonly: 'yes', appendfsync: 'always', save: '' })).toEqual({ loses: 'nothing' });
  });

  it('appendfsync everysec loses about a second, on a machine failure only', () => {
    expect(judged({ appendonly: 'yes', appendfsync: 'everysec', save: '3600 1' })).toMatchObject({
      loses: 'on-machine-failure',
      advice: expect.stringContaining('appendfsync always'),
    });
  });

  it('appendfsync no leaves it to the OS', () => {
    expect(judged({ appendonly: 'yes', appendfsync: 'no', save: '' })).toMatchObject({
      loses: 'on-machine-failure',
      advice: expect.stringContaining('~30 s'),
    });
  });

  it('RDB snapshots alone lose what came since the last one, on any stop', () => {
    expect(judged({ appendonly: 'no', appendfsync: 'everysec', save: '3600 1 300 100' })).toMatchObject({
      loses: 'on-restart',
      advice: expect.stringContaining('since the last RDB snapshot (save 3600 1 300 100)'),
    });
  });

  it('no persistence at all loses everything on a restart', () => {
    expect(judged({ appendonly: 'no', appendfsync: 'everysec', save: '' })).toMatchObject({
      loses: 'on-restart',
      advice: expect.stringContaining('keeps nothing on disk'),
    });
  });
});

describeWithRedis('the Redis store at ready()', () => {
  const users: string[] = [];
  const admin = new Redis(REDIS_URL);
  admin.on('error', () => undefined);
  afterAll(async () => {
    for (const user of users) await admin.acl('DELUSER', user);
    admin.disconnect();
  });

  /** A user of the test server with these ACL rules, and a URL that logs in as it. */
  async function userWith(...rules: string[]): Promise<string> {
    const name = `omniscient-test-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    await admin.acl('SETUSER', name, 'on', `>${password}`, '~*', '&*', ...rules);
    users.push(name);
    const url = new URL(REDIS_URL);
    url.username = name;
    url.password = password;
    return url.toString();
  }

  it("says through its logger what the server's settings lose, and how to fix it", async () => {
    const settings = new Map<string, string>();
    for (const name of ['appendonly', 'appendfsync', 'save']) {
      const [, value] = (await admin.config('GET', name)) as [string, string];
      settings.set(name, value);
    }
    const expected = judgeDurability(settings);
    const warnings: string[] = [];
    const store = redisStore(
      { url: REDIS_URL },
      { prefix: freshPrefix(), logger: { warn: (line) => warnings.push(line) } },
    );
    try {
      await store.ready();
    } finally {
      await store.close();
    }
    if (expected.loses === 'nothing') expect(warnings).toEqual([]);
    else expect(warnings).toEqual([expect.stringContaining('advice' in expected ? expected.advice : '')]);
  });

  it('says it cannot judge a server whose user may not read its settings, and works all the same', async () => {
    const url = await userWith('+@all', '-config');
    const warnings: string[] = [];
    const store = redisStore(
      { url },
      { prefix: freshPrefix(), logger: { warn: (line) => warnings.push(line) } },
    );
    try {
      await store.ready();
      expect(warnings).toEqual([expect.stringContaining('persistence settings cannot be read')]);
      await store.appendToStream('s', [{ name: 'opened' }]);
      expect(await store.streamVersion('s')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('refuses clearly when its user may not run scripts', async () => {
    const url = await userWith('+@all', '-@scripting');
    const store = redisStore({ url }, { prefix: freshPrefix(), logger: { warn: () => undefined } });
    try {
      const error = await rejectionOf(store.ready());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/scripting/);
      const append = await rejectionOf(store.appendToStream('s', [{ name: 'opened' }]));
      expect(append).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it('rejects a wrong password at once, typed, without retrying for its whole deadline', async () => {
    const url = new URL(REDIS_URL);
    url.username = 'nobody-at-all';
    url.password = 'wrong';
    const store = redisStore(
      { url: url.toString() },
      { prefix: freshPrefix(), logger: { warn: () => undefined } },
    );
    try {
      const started = Date.now();
      const error = await rejectionOf(store.ready());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).not.toContain('wrong');
      expect(Date.now() - started).toBeLessThan(9000);
    } finally {
      await store.close();
    }
  });
});
