/**
 * The login story on the embedded SQLite store, from CommonJS: prints the user's state and the
 * events stored, as JSON, for the package check to compare.
 */
const { createContainer } = require('omniscient-actors');
const { sqliteStore } = require('omniscient-actors/sqlite');
const { User } = require('./user.cjs');

async function main() {
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

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
