/**
 * Stories of actors that listen: the listeners hear the given events (of any stream), and what they
 * react with is among the events `Then` checks; the story judges only once they are done, before
 * the command and after it, however long a reaction takes.
 */
import { describe, it } from 'vitest';
import { Actor, type Container } from 'omniscient-actors';
import { Given } from 'omniscient-actors/testing';
import { gameClass } from '../subscriptions/game.js';

const Game = gameClass(Actor);

class Payments extends Actor<{ charged: number; named?: string }> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { charged: 0 };
    this.ListenFor('order_placed', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 3)); // a payment gateway
      return this.Fire('charged', { order: event.stream });
    });
  }
  Rename(name: string) {
    return this.Fire('renamed', { name });
  }
  charged() {
    this._state.charged++;
  }
  renamed(data: { name: string }) {
    this._state.named = data.name;
  }
}

describe('Given stories of actors that listen', () => {
  it('a process manager reacts to the given events of other streams', async () => {
    // One listener's reactions follow its causes' order (two listeners' may interleave).
    await Given('alice died three times, bob once', [
      { stream: 'alice', name: 'player_died', data: { player: 'alice' } },
      { stream: 'bob', name: 'player_died', data: { player: 'bob' } },
      { stream: 'alice', name: 'player_died', data: { player: 'alice' } },
      { stream: 'alice', name: 'player_died', data: { player: 'alice' } },
    ])
      .WhenLoaded(Game)
      .Then([
        { name: 'player_respawned', data: { player: 'alice', deaths: 1 } },
        { name: 'player_respawned', data: { player: 'bob', deaths: 1 } },
        { name: 'player_respawned', data: { player: 'alice', deaths: 2 } },
        { name: 'player_ejected', data: { player: 'alice', reason: 'no lives left' } },
      ])
      .AndState({ respawns: { alice: 2, bob: 1 }, ejected: ['alice'] });
  });

  it('a reaction that awaits is waited for, and comes before what the command fires', async () => {
    for (let run = 0; run < 5; run++) {
      await Given('an order was placed', [{ stream: 'order-1', name: 'order_placed' }])
        .When(Payments, 'Rename', 'shop')
        .Then([
          { name: 'charged', data: { order: 'order-1' } },
          { name: 'renamed', data: { name: 'shop' } },
        ])
        .AndState({ charged: 1, named: 'shop' });
    }
  });
});
