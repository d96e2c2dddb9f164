/**
 * One process of players of the seed's game (see `test/subscriptions/game.ts`): it holds a `Player`
 * for each of its players and fires their deaths and exits, part by part, as the parent releases
 * them, so the parent knows which causes were fired in which window (while a game process runs,
 * while it is down, while it restarts).
 *
 * Part 0 starts on `go`; each next part starts on `continue`. Within a part, `concurrency` firers
 * take the actions in order (one player's actions land in its stream in the order given). Once a
 * part's every `Fire` has settled it says `part-fired` with the part's index and the actions whose
 * `Fire` was rejected; after the last part it waits for `finish`, disposes its players and exits
 * (`finished`, with what the error hook heard).
 */
import { createContainer } from '../../../src/index.js';
import { Player } from '../../subscriptions/game.js';
import { expectCommand, failOn, finish, readyThenWaitForGo, report } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface PlayerAction {
  readonly player: string;
  readonly action: 'die' | 'exit';
}

export interface PlayerWorkerConfig {
  readonly parts: ReadonlyArray<readonly PlayerAction[]>;
  readonly concurrency: number;
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as PlayerWorkerConfig;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const errors: string[] = [];
  const container = createContainer({
    store,
    onError: (error, context) => errors.push(`${context.operation}: ${String(error)}`),
  });
  const ids = [...new Set(config.parts.flat().map((action) => action.player))];
  const players = new Map(
    await Promise.all(ids.map(async (id) => [id, await new Player(id, container).Load()] as const)),
  );
  await readyThenWaitForGo({ players: ids.length });

  for (const [index, part] of config.parts.entries()) {
    if (index > 0) await expectCommand('continue');
    const queue = [...part];
    const rejected: Array<PlayerAction & { error: string }> = [];
    const firer = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const player = players.get(next.player) as Player;
        try {
          await (next.action === 'die' ? player.Die() : player.Exit());
        } catch (error) {
          rejected.push({ ...next, error: String(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: config.concurrency }, firer));
    report('part-fired', { part: index, fired: part.length, rejected });
  }

  await expectCommand('finish');
  for (const player of players.values()) await player.Dispose();
  await store.close();
  await finish('finished', { errors });
});
