/**
 * A handler may keep part of an event's data in its state and change it later. What it changes is
 * then its own: a rebuild of the state applies the stored event as it was stored, and every other
 * reader of that event in the process — another actor of the stream, a listener — gets its own.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  LiveActor,
  memoryStore,
  type Container,
  type StoredEvent,
} from 'omniscient-actors';
import { eventually } from '../support/eventually.js';

function cartOf(Base: typeof Actor | typeof LiveActor) {
  return class Cart extends (Base as typeof Actor)<{ items: number[]; note?: string }> {
    constructor(id: string, container: Container) {
      super(id, container);
      this._state = { items: [] };
    }
    created(data: { items: number[] }) {
      this._state.items = data.items; // keeps the event's array...
    }
    pushed(data: { x: number }) {
      this._state.items.push(data.x); // ...and changes it later
    }
    noted(data: { text: string }) {
      if (this._state.items.length > 0) throw new Error('notes only on an empty cart');
      this._state.note = data.text;
    }
  };
}

describe('event data a handler kept and changed', () => {
  it('a rebuild after a refused event applies the stored events as stored', async () => {
    const store = memoryStore();
    const Cart = cartOf(Actor);
    const container = createContainer({ store, onError: () => undefined });
    const mine = await new Cart('c1', container).Load();
    const other = await new Cart('c1', container).Load();
    await other.Fire('created', { items: [] });
    await other.Fire('pushed', { x: 1 });
    // Applied on an empty cart, then rebased on the two events above and refused there: two rebuilds.
    await expect(mine.Fire('noted', { text: 'hi' })).rejects.toThrow(/notes only on an empty cart/);
    const fresh = await new Cart('c1', createContainer({ store })).Load();
    expect(fresh.state).toEqual({ items: [1] });
    expect(mine.state).toEqual(fresh.state);
  });

  it('two live actors of one stream, and a listener, each get their own event objects', async () => {
    const store = memoryStore();
    const Cart = cartOf(LiveActor);
    const container = createContainer({ store });
    const first = await new Cart('c1', container).Load();
    const second = await new Cart('c1', container).Load();
    const heard: StoredEvent[] = [];
    class Watcher extends Actor {
      constructor(id: string, c: Container) {
        super(id, c);
        this.ListenFor('created', (event) => void heard.push(event));
      }
    }
    const watcher = await new Watcher('watcher', container).Load();
    await store.appendToStream('c1', [
      { name: 'created', data: { items: [] } },
      { name: 'pushed', data: { x: 1 } },
    ]);
    await eventually(() => expect([first.version, second.version, heard.length]).toEqual([2, 2, 1]));
    expect(first.state).toEqual({ items: [1] });
    expect(second.state).toEqual({ items: [1] });
    expect(first.state.items).not.toBe(second.state.items);
    expect(heard[0]?.data).toEqual({ items: [] });
    await Promise.all([first.Dispose(), second.Dispose(), watcher.Dispose()]);
  });
});
