/**
 * Observing an actor: `OnChange(listener)` hears every change of the state the actor shows, with
 * the event applied (or none, for a rebuild), so that a UI on every device can show the state as
 * it changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createContainer,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  UsageError,
  type ErrorContext,
  type StoredEvent,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';
import { gatedStore } from './gated-store.js';

interface LivesState {
  lives: number;
}
interface LivesEvents {
  gained: { amount: number };
}

class Lives extends LiveActor<LivesState, LivesEvents> {
  protected override _state: LivesState = { lives: 0 };
  Gain(amount: number) {
    return this.Fire('gained', { amount });
  }
  gained(data: { amount: number }) {
    this._state.lives += data.amount;
  }
}

/** What a listener saw: the event (name, version, position) and a copy of the state. */
interface Seen {
  event: Pick<StoredEvent, 'name' | 'version' | 'position'> | undefined;
  lives: number;
}

function recorder(actor: Lives): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const stop = actor.OnChange((state, event) => {
    seen.push({
      event: event && { name: event.name, version: event.version, position: event.position },
      lives: state.lives,
    });
  });
  return { seen, stop };
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-observing-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('OnChange', () => {
  it('shows the state on every device as each event is applied: at once where it is fired, live elsewhere', async () => {
    const file = join(directory, 'devices.sqlite');
    const [phone, laptop] = [
      sqliteStore({ file, pollIntervalMs: 2 }),
      sqliteStore({ file, pollIntervalMs: 2 }),
    ];
    const onPhone = await new Lives('player', createContainer({ store: phone })).Load();
    const onLaptop = await new Lives('player', createContainer({ store: laptop })).Load();
    const phoneScreen = recorder(onPhone);
    const laptopScreen = recorder(onLaptop);

    const landed = onPhone.Gain(2);
    // Where it is fired, the change is shown at once, before the event is stored (position 0).
    expect(phoneScreen.seen).toEqual([{ event: { name: 'gained', version: 1, position: 0 }, lives: 2 }]);
    const stored = await landed;
    await onPhone.Gain(3);

    await eventually(() => expect(laptopScreen.seen).toHaveLength(2));
    expect(laptopScreen.seen).toEqual([
      { event: { name: 'gained', version: 1, position: stored.position }, lives: 2 },
      { event: { name: 'gained', version: 2, position: expect.any(Number) }, lives: 5 },
    ]);
    // The fired events landed where they were applied: they are not announced a second time.
    expect(phoneScreen.seen.map((each) => each.lives)).toEqual([2, 5]);

    await Promise.all([onPhone.Dispose(), onLaptop.Dispose()]);
    await Promise.all([phone.close(), laptop.close()]);
  });

  it('announces a rebase once, with no event, showing the rebuilt state', async () => {
    const inner = memoryStore();
    const store = gatedStore(inner);
    const lives = await new Lives('p', createContainer({ store })).Load();
    const screen = recorder(lives);
    // Another writer stores its event just before this actor's append reaches the store.
    store.beforeNextAppend(() => inner.appendToStream('p', [{ name: 'gained', data: { amount: 1 } }]));
    const stored = await lives.Gain(10);
    expect(stored.version).toBe(2);
    await store.notified('p', 2);
    expect(screen.seen).toEqual([
      { event: { name: 'gained', version: 1, position: 0 }, lives: 10 },
      { event: undefined, lives: 11 },
    ]);
    expect(lives.state).toEqual({ lives: 11 });
    await lives.Dispose();
  });

  it('announces a pending event taken back out of the state, and every event Load applies', async () => {
    const store = memoryStore();
    const container = createContainer({ store, onError: () => undefined });
    await store.appendToStream('p', [
      { name: 'gained', data: { amount: 1 } },
      { name: 'gained', data: { amount: 2 } },
    ]);
    const lives = new Lives('p', container);
    const screen = recorder(lives);
    await lives.Load();
    expect(screen.seen).toEqual([
      { event: { name: 'gained', version: 1, position: 1 }, lives: 1 },
      { event: { name: 'gained', version: 2, position: 2 }, lives: 3 },
    ]);
    await store.close();
    void lives.Gain(5);
    await expect(lives.Flush()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(screen.seen.slice(2)).toEqual([
      { event: { name: 'gained', version: 3, position: 0 }, lives: 8 },
      { event: undefined, lives: 3 },
    ]);
  });

  it('stops calling a listener once unsubscribed, and keeps calling the others', async () => {
    const lives = await new Lives('p', createContainer({ store: memoryStore() })).Load();
    const first = recorder(lives);
    const second = recorder(lives);
    await lives.Gain(1);
    first.stop();
    first.stop();
    await lives.Gain(2);
    expect(first.seen.map((each) => each.lives)).toEqual([1]);
    expect(second.seen.map((each) => each.lives)).toEqual([1, 3]);
    await lives.Dispose();
  });

  it('reports a listener that throws, or fires, to the error hook, and neither stops the actor nor the other listeners', async () => {
    const reported: Array<{ error: unknown; context: ErrorContext }> = [];
    const container = createContainer({
      store: memoryStore(),
      onError: (error, context) => reported.push({ error, context }),
    });
    const lives = await new Lives('p', container).Load();
    lives.OnChange(() => {
      throw new Error('the screen broke');
    });
    lives.OnChange(() => void lives.Gain(100));
    const screen = recorder(lives);
    await lives.Gain(1);
    await lives.Flush();
    expect(screen.seen).toEqual([{ event: { name: 'gained', version: 1, position: 0 }, lives: 1 }]);
    expect(lives.state).toEqual({ lives: 1 });
    expect(reported.map(({ context }) => context)).toEqual([
      { operation: 'OnChange', actor: 'Lives', stream: 'p', event: 'gained' },
      { operation: 'OnChange', actor: 'Lives', stream: 'p', event: 'gained' },
    ]);
    expect((reported[0]?.error as Error).message).toBe('the screen broke');
    expect(reported[1]?.error).toBeInstanceOf(UsageError);
    expect((reported[1]?.error as Error).message).toBe(
      'Lives fired "gained" from an OnChange listener, which only observes; fire from a command, or react to events with ListenTo or ListenFor',
    );
    expect(await container.store.readStream('p')).toHaveLength(1);
  });

  it('needs a function', async () => {
    const lives = await new Lives('p', createContainer({ store: memoryStore() })).Load();
    expect(() => lives.OnChange('render' as never)).toThrow(
      'Lives.OnChange needs a function, called as listener(state, event), got string',
    );
  });
});
