/**
 * The story, on the embedded SQLite store: a signup, a failed and a good login, and a payment that
 * gives the Player a life. Run it again and it carries on from the events stored the first time.
 *
 *   npm start                          # the database is .omniscient/demo.db
 *   OMNISCIENT_DEMO_DB=/tmp/x.db npm start
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createContainer } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { Player, User, type PaymentGateway } from './actors.js';

const file = process.env['OMNISCIENT_DEMO_DB'] ?? '.omniscient/demo.db';
mkdirSync(dirname(file), { recursive: true });

let receipts = 0;
const payments: PaymentGateway = {
  charge: (account, cents) => ({
    receipt: `receipt-${account}-${cents}c-${Date.now().toString(36)}${++receipts}`,
  }),
};

const store = sqliteStore({ file });
const container = createContainer({ store, payments });

const say = (line: string) => console.log(line);

try {
  const user = await new User('alice', container).Load();
  say(`Loaded user "alice" from ${file}: ${user.version} event(s) so far.`);

  if (!user.signedUp) {
    await user.Signup('correct horse');
    say('alice signed up.');
  } else {
    say('alice had already signed up: carrying on from the stored events.');
  }

  user.DoLoginAttempt('wrong password', { browser: 'demo' });
  await user.Flush();
  say(`A login with the wrong password failed (${user.state.failedLogins} failed login(s) in all).`);

  const token = user.DoLoginAttempt('correct horse', { browser: 'demo' });
  await user.Flush();
  say(`A login with the right password succeeded: token ${token}.`);

  // The Player is the same person: same id, same stream, its own view of the events.
  const player = await new Player('alice', container).Load();
  const receipt = player.Pay(250);
  await player.Flush();
  say(
    `alice paid 2.50 (${receipt}) and now has ${player.state.lives} li${player.state.lives === 1 ? 'fe' : 'ves'}.`,
  );

  const events = await store.readStream('alice');
  say(`\nThe stream "alice" holds ${events.length} events:`);
  for (const event of events.slice(-8)) {
    say(`  v${String(event.version).padStart(3)}  ${event.name.padEnd(17)} by ${event.meta.actor ?? '?'}`);
  }
  if (events.length > 8) say(`  … and ${events.length - 8} earlier.`);
  say('\nRun `npm start` again: the story continues from these events.');
} finally {
  await store.close();
}
