/**
 * The game on the embedded SQLite store: players die and exit, the game reacts; then the game's
 * "process" stops without a word while more players die, and a new one resumes after the last
 * death it reacted to — every reaction once, each recording its cause.
 *
 *   npm run example:game            # the database is a fresh file under the system's temp folder
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContainer } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { Game, Player } from './actors.js';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-game-'));
const file = join(directory, 'game.db');
const players = sqliteStore({ file });
const playing = createContainer({ store: players });
const [alice, bob] = await Promise.all([
  new Player('alice', playing).Load(),
  new Player('bob', playing).Load(),
]);

// The game runs on its own connection, as another process would.
const firstRun = sqliteStore({ file });
const game = await new Game('game', createContainer({ store: firstRun })).Load();
await alice.Die();
await bob.Exit();
await alice.Die();
await sleep(100);
console.log('The game reacted:', game.state);

// Its process stops without a word; meanwhile alice dies a third time.
await firstRun.close();
await alice.Die();

const secondRun = sqliteStore({ file });
const restarted = await new Game('game', createContainer({ store: secondRun })).Load();
await sleep(100);
console.log('Restarted, it caught up with what it missed:', restarted.state);

for (const reaction of await secondRun.readStream('game')) {
  const cause = reaction.meta['reaction'] as { stream: string; version: number };
  console.log(
    `  ${reaction.version}. ${reaction.name} ${JSON.stringify(reaction.data)} ← ${cause.stream}#${cause.version}`,
  );
}

await restarted.Dispose();
await Promise.all([secondRun.close(), players.close()]);
rmSync(directory, { recursive: true, force: true });
