/**
 * An append is one script that writes the batch and then publishes its notification. Redis does
 * not undo a script's writes when a later command of it fails, and since Redis 7 a new ACL user
 * may publish on no channel (`acl-pubsub-default resetchannels`) unless granted one (`&…`): the
 * PUBLISH at the end of the script is then refused after the events were written. An append
 * must be all or nothing, and its answer must say which.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const admin = new Redis(REDIS_URL);
admin.on('error', () => undefined);
const users: string[] = [];
afterAll(async () => {
  for (const user of users) await admin.acl('DELUSER', user);
  admin.disconnect();
});

describeWithRedis('appending as a Redis user that may not publish', () => {
  it('stores nothing when it answers with an error, or answers success when it stored', async () => {
    const user = `omniscient-test-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    await admin.acl('SETUSER', user, 'on', `>${password}`, '~*', 'resetchannels', '+@all');
    users.push(user);
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = password;
    const prefix = freshPrefix();
    const store = redisStore({ url: url.toString() }, { prefix, logger: { warn: () => undefined } });
    const observer = redisStore({ url: REDIS_URL }, { prefix, logger: { warn: () => undefined } });
    try {
      const outcome = await store.appendToStream('s', [{ name: 'opened' }]).then(
        () => 'stored',
        () => 'refused',
      );
      const version = await observer.streamVersion('s');
      expect({ outcome, version }).toEqual(
        outcome === 'stored' ? { outcome, version: 1 } : { outcome, version: 0 },
      );
    } finally {
      await store.close();
      await observer.close();
    }
  });
});
