/** The Redis engine against the conformance suite, each store under a prefix of its own. */
import { describe, it } from 'vitest';
import { redisStore } from '../../src/redis.js';
import { describeEngineConformance } from 'omniscient-actors/conformance';
import { describeWithRedis, freshPrefix, REDIS_URL } from './redis/server.js';

const quiet = { warn: () => undefined };

describeWithRedis('Redis conformance', () => {
  describeEngineConformance(
    'redis',
    (options) => redisStore({ url: REDIS_URL }, { prefix: freshPrefix(), logger: quiet, ...options }),
    { describe, it },
  );
});
