/**
 * The login story on the embedded SQLite store, as an application runs it: prints the user's state
 * and the events stored, as JSON, for the package check to compare. No top-level await, so the
 * same file compiles as an ES module and as CommonJS. It also names the Redis store's options, whose
 * declarations must compile without ioredis installed.
 */
import { createContainer } from 'omniscient-actors';
import type { RedisStoreOptions } from 'omniscient-actors/redis';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { User } from './user.js';

// The Redis entry's declarations compile without ioredis installed.
const redisOptions: RedisStoreOptions = { prefix: 'app' };
void redisOptions;

async function main(): Promise<void> {
  const store = sqliteStore({ file: ':memory:' });
  const container = createContainer({ store });
  const user = await new User('alice', container).Load();
  await user.Signup('secret');
  await user.DoLoginAttempt('wrong');
  await user.DoLoginAttempt('secret');
  await user.Dispose();
  const stored = await store.readStream('alice');
  await store.close();
  console.log(JSON.stringify({ state: user.state, events: stored.map((event) => event.name) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
