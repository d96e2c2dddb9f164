import { describe, expect, it } from 'vitest';
import { createContainer, LiveActor, memoryStore, StoreUnavailableError } from 'omniscient-actors';

class Lives extends LiveActor<{ lives: number; history: number[] }> {
  protected override _state = { lives: 0, history: [] as number[] };
  Gain(amount: number) {
    return this.Fire('gained', { amount });
  }
  gained(data: { amount: number }) {
    this._state.lives += data.amount;
    this._state.history.push(data.amount);
  }
}

describe('LiveActor', () => {
  it('applies a fired event to local state at once, before it is stored', async () => {
    const container = createContainer({ store: memoryStore() });
    const lives = await new Lives('p', container).Load();
    const stored = lives.Gain(1);
    expect(lives.state.lives).toBe(1);
    expect(lives.version).toBe(1);
    expect(lives.confirmedVersion).toBe(0);
    await stored;
    expect(lives.confirmedVersion).toBe(1);
  });

  it('a conflicting event is re-applied on top of the winners and appended again', async () => {
    const container = createContainer({ store: memoryStore() });
    const a = await new Lives('p', container).Load();
    const b = await new Lives('p', container).Load();
    await a.Gain(1);
    const stored = await b.Gain(10);
    expect(stored.version).toBe(2);
    expect(b.state).toEqual({ lives: 11, history: [1, 10] });
    const fresh = await new Lives('p', container).Load();
    expect(fresh.state).toEqual(b.state);
  });

  it('many writers on one stream: every event stored once, no gap, every state equals a fresh Load', async () => {
    const container = createContainer({ store: memoryStore() });
    const writers = await Promise.all(Array.from({ length: 8 }, () => new Lives('hot', container).Load()));
    const fired = writers.flatMap((writer, w) =>
      Array.from({ length: 25 }, (_, i) => writer.Gain(w * 100 + i)),
    );
    const stored = await Promise.all(fired);
    await Promise.all(writers.map((writer) => writer.Flush()));

    const events = await container.store.readStream('hot');
    expect(events.map((event) => event.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(events.map((event) => event.id)).size).toBe(200);
    expect(stored.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());

    const fresh = await new Lives('hot', container).Load();
    for (const writer of writers) {
      await writer.Load();
      expect(writer.state).toEqual(fresh.state);
    }
    expect(fresh.state.lives).toBe(
      events.reduce((sum, event) => sum + (event.data as { amount: number }).amount, 0),
    );
  });

  it('events that can never be stored are taken back out of the state', async () => {
    const store = memoryStore();
    const container = createContainer({ store, onError: () => undefined });
    const lives = await new Lives('p', container).Load();
    await lives.Gain(1);
    await store.close();
    void lives.Gain(5);
    expect(lives.state.lives).toBe(6);
    await expect(lives.Flush()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(lives.state).toEqual({ lives: 1, history: [1] });
    expect(lives.version).toBe(1);
  });

  it('a handler that throws on a fired event leaves state as it was and stores nothing', async () => {
    class Picky extends LiveActor<{ values: number[] }> {
      protected override _state = { values: [] as number[] };
      added(data: { value: number }) {
        this._state.values.push(data.value);
        if (data.value < 0) throw new Error('negative');
      }
    }
    const container = createContainer({ store: memoryStore() });
    const picky = await new Picky('k', container).Load();
    await picky.Fire('added', { value: 1 });
    expect(() => picky.Fire('added', { value: -1 })).toThrow(/negative/);
    expect(picky.state).toEqual({ values: [1] });
    await picky.Flush();
    expect(await container.store.readStream('k')).toHaveLength(1);
  });
});
