/**
 * A subscription whose start-up fails must leave the hub as it found it. The SQLite change watcher
 * throws from `setActive(true)` when the change counter cannot be read; a follower left in the hub
 * would make every later subscription find it already active, the watcher never started again,
 * and other connections' commits unheard.
 */
import { describe, expect, it } from 'vitest';
import { SubscriptionHub } from '../../src/engines/subscription-hub.js';

describe('SubscriptionHub when activating the source fails', () => {
  it('activates the source again for the next subscription, and holds no follower', async () => {
    const activations: boolean[] = [];
    let failNext = true;
    const hub = new SubscriptionHub({
      readAfter: async () => [],
      lastPosition: async () => 0,
      onActiveChange(active) {
        activations.push(active);
        if (active && failNext) {
          failNext = false;
          throw new Error('the change counter cannot be read');
        }
      },
    });
    const options = { after: 0, onError: () => undefined };
    await expect(hub.subscribe(() => undefined, options)).rejects.toThrow('cannot be read');
    expect(hub.active).toBe(false);
    const subscription = await hub.subscribe(() => undefined, options);
    expect(activations).toEqual([true, true]);
    await subscription.close();
    expect(activations).toEqual([true, true, false]);
    expect(hub.active).toBe(false);
  });
});
