/**
 * The Redis server the engine's tests run against (`OMNISCIENT_REDIS_URL`, or 127.0.0.1:6379), and
 * the prefixes they work under: every store a test opens gets a new prefix, whose keys are deleted
 * when the test file ends, so tests running at the same time never meet.
 *
 * Without a server, a test file fails in CI (a missing server there is a broken setup, not a
 * reason to pass), and on a developer's machine skips with a warning saying why.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';

export const REDIS_URL = process.env['OMNISCIENT_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    client.disconnect();
  }
}

const unreachable = await probe();
const prefixes: string[] = [];

/** A prefix no other test uses; its keys are deleted after the test file. */
export function freshPrefix(): string {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  prefixes.push(prefix);
  return prefix;
}

/** Deletes every key of the given prefixes. */
export async function dropPrefixes(list: readonly string[]): Promise<void> {
  if (list.length === 0) return;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    for (const prefix of list) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/**
 * `describe` for specifications that need the server: they run when it answers, fail in CI when
 * it does not, and are skipped loudly elsewhere.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(name, () => {
      afterAll(() => dropPrefixes(prefixes.splice(0)));
      body();
    });
    return;
  }
  const why = `no Redis server at ${REDIS_URL} (${unreachable}); set OMNISCIENT_REDIS_URL`;
  if (process.env['CI']) {
    describe(name, () => {
      it('needs a Redis server', () => {
        throw new Error(`${why}: in CI the Redis specifications must run`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${why} ***\n`);
  describe.skipIf(true)(`${name} [skipped: ${why}]`, body);
}
