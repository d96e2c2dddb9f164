/**
 * Reactions of two listeners of one actor that go to the store in one append, on a node that has not
 * yet heard what another node holding the same actor stored: the schedule, made deterministic, in
 * which the cluster specification of the game on two processes loses a reaction.
 */
import { describe, expect, it } from 'vitest';
import {
  createContainer,
  LiveActor,
  memoryStore,
  type EventNotification,
  type EventStore,
  type StoredEvent,
} from 'omniscient-actors';
import { derivedEventId } from '../../src/events/derived-id.js';
import { reactionMeta } from '../../src/subscriptions/reaction-cause.js';
import { eventually } from '../support/eventually.js';
import { gameClass, Player } from './game.js';

/**
 * One node's connection to a shared store: it can hold the answer to its appends (the append is
 * stored, the answer waits) and hold back the notifications of one stream, as a slow live feed would.
 */
function slowNode(inner: EventStore, slowStream: string) {
  let answers: Promise<void> | undefined;
  let releaseAnswers = () => undefined as void;
  let holding = true;
  const held: Array<() => void> = [];
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'appendToStream') {
        return async (...args: Parameters<EventStore['appendToStream']>) => {
          const waiting = answers;
          const result = await target.appendToStream(...args);
          await waiting;
          return result;
        };
      }
      if (property === 'subscribe') {
        return (listener: (notifications: readonly EventNotification[]) => void, options?: object) =>
          target.subscribe((notifications) => {
            const slow = notifications.filter((each) => each.stream === slowStream);
            const others = notifications.filter((each) => each.stream !== slowStream);
            if (others.length > 0) listener(others);
            if (slow.length === 0) return;
            if (holding) held.push(() => listener(slow));
            else listener(slow);
          }, options);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store,
    holdAnswers() {
      answers = new Promise((resolve) => (releaseAnswers = resolve));
    },
    releaseAnswers() {
      releaseAnswers();
      answers = undefined;
    },
    releaseNotifications() {
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}

const causeOf = (reactions: readonly StoredEvent[]) => reactions.map((each) => each.meta.causationId);

describe('reactions of several listeners in one append', () => {
  it('a listener reaction appended together with one another node already stored is stored, and never lost', async () => {
    const shared = memoryStore();
    const node = slowNode(shared, 'game');
    const Game = gameClass(LiveActor);
    const game = await new Game('game', createContainer({ store: node.store })).Load();
    const players = createContainer({ store: shared });
    const [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((id) => new Player(id, players).Load()),
    )) as [Player, Player, Player];

    // The node's append of an ordinary event is stored and its answer held: what its listeners fire
    // meanwhile waits, and goes to the store in one append.
    node.holdAnswers();
    void game.Fire('noted', {});
    await eventually(async () => expect(await shared.streamVersion('game')).toBe(1));
    const died = await alice.Die();
    const exited = await bob.Exit();
    await eventually(() => {
      expect(game.state.respawns).toEqual({ alice: 1 });
      expect(game.state.ejected).toEqual(['bob']);
    });

    // Another node holding the game reacted to alice's death first, alone in its append.
    await shared.appendToStream(
      'game',
      [
        {
          id: derivedEventId('reaction', 'game', 'Game', 'for:player_died', died.id, '0'),
          name: 'player_respawned',
          data: { player: 'alice', deaths: 1 },
          meta: reactionMeta('Game', 'for:player_died', died),
        },
      ],
      { expectedVersion: 1 },
    );
    node.releaseAnswers();
    await game.Flush().catch(() => undefined);
    node.releaseNotifications();

    // The game goes on: carol exits, and the game reacts.
    const carolExited = await carol.Exit();
    await eventually(async () => expect(causeOf(await shared.readStream('game'))).toContain(carolExited.id));

    const reactions = (await shared.readStream('game')).filter((each) => each.meta.reaction !== undefined);
    // Bob's exit is answered too, once: no node will ever react to it later, since the game's
    // listener for exits resumes after carol's.
    expect(causeOf(reactions), "bob's exit has a reaction").toContain(exited.id);
    expect(causeOf(reactions).sort()).toEqual([died.id, exited.id, carolExited.id].sort());
    await game.Dispose();
    await Promise.all([alice, bob, carol].map((player) => player.Dispose()));
  });
});
