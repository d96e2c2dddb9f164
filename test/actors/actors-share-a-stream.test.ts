import { describe, expect, it } from 'vitest';
import { createContainer, memoryStore } from 'omniscient-actors';
import { Player, User } from './seed-actors.js';

describe('actors of different classes with one id', () => {
  it('see the same events, each applying those it has handlers for', async () => {
    const container = createContainer({ store: memoryStore() });
    const user = await new User('userName', container).Load();
    await user.Signup('userName', 'secret');
    const player = await new Player('userName', container).Load();
    await player.Pay(30);

    await user.Load();
    expect(user.state).toMatchObject({ username: 'userName', logged_in: false });
    expect(user.version).toBe(2);
    expect(user.unhandledEvents).toBe(1);

    const freshPlayer = await new Player('userName', container).Load();
    expect(freshPlayer.state).toEqual({ lives: 3 });
    expect(freshPlayer.version).toBe(2);
    expect(freshPlayer.unhandledEvents).toBe(1);

    const stored = await container.store.readStream('userName');
    expect(stored.map((event) => [event.version, event.name, event.meta.actor])).toEqual([
      [1, 'signup', 'User'],
      [2, 'payment_received', 'Player'],
    ]);
  });

  it('an event with no handler is stored and counts for the version', async () => {
    const container = createContainer({ store: memoryStore() });
    const player = await new Player('p', container).Load();
    await player.Fire('nobody_handles_this', { note: 'kept' });
    await player.Pay(10);
    expect(player.version).toBe(2);
    expect(player.unhandledEvents).toBe(1);
    expect(player.state).toEqual({ lives: 1 });
    expect((await container.store.readStream('p'))[0]).toMatchObject({
      name: 'nobody_handles_this',
      data: { note: 'kept' },
    });
  });
});
