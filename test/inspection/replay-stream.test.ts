import { describe, expect, it } from 'vitest';
import { Actor, createContainer, LiveActor, memoryStore, OneActor } from 'omniscient-actors';
import { replayStream } from '../../src/inspection/replay-stream.js';
import { formatChanges, stateChanges } from '../../src/inspection/state-changes.js';

class Wallet extends LiveActor<{ balance: number; history: number[]; owner?: string }> {
  protected override _state: { balance: number; history: number[]; owner?: string } = {
    balance: 0,
    history: [],
  };
  static override snapshotEvery = 2;
  opened(data: { owner: string }) {
    this._state.owner = data.owner;
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
    this._state.history.push(data.amount);
  }
  withdrawn(data: { amount: number }) {
    if (data.amount > this._state.balance)
      throw new Error(`cannot withdraw ${data.amount} from ${this._state.balance}`);
    this._state.balance -= data.amount;
  }
}

class Counter extends OneActor<{ n: number }> {
  protected override _state = { n: 0 };
  counted() {
    this._state.n++;
  }
}

async function storeWith(stream: string, events: { name: string; data?: unknown }[]) {
  const store = memoryStore();
  await store.appendToStream(stream, events);
  return store;
}

describe('replaying a stream through an actor class', () => {
  it('applies every event in order and says what each changed', async () => {
    const store = await storeWith('w', [
      { name: 'opened', data: { owner: 'ann' } },
      { name: 'deposited', data: { amount: 5 } },
      { name: 'deposited', data: { amount: 7 } },
    ]);
    const replay = await replayStream(store, Wallet, 'w');
    expect(replay.initial).toEqual({ balance: 0, history: [] });
    expect(replay.steps.map((step) => step.event.version)).toEqual([1, 2, 3]);
    expect(formatChanges(replay.steps[0]!.changes)).toEqual(['+ owner: "ann"']);
    expect(formatChanges(replay.steps[2]!.changes)).toEqual(['  balance: 5 → 12', '+ history[1]: 7']);
    expect(replay.steps[2]!.state).toEqual({ owner: 'ann', balance: 12, history: [5, 7] });
    expect(replay.failure).toBeUndefined();
  });

  it('stops at --to, and uses no snapshot even where the store holds one', async () => {
    const store = await storeWith('w', [
      { name: 'deposited', data: { amount: 1 } },
      { name: 'deposited', data: { amount: 2 } },
      { name: 'deposited', data: { amount: 3 } },
    ]);
    // A live actor of the class saves a snapshot every 2 events in the user's store.
    const wallet = await new Wallet('w', createContainer({ store })).Load();
    await wallet.Dispose();
    const replay = await replayStream(store, Wallet, 'w', { to: 2 });
    expect(replay.steps.map((step) => step.event.version)).toEqual([1, 2]);
    expect(replay.storedVersion).toBe(3);
  });

  it('shows a handler that throws at its event, with the state before it', async () => {
    const store = await storeWith('w', [
      { name: 'deposited', data: { amount: 5 } },
      { name: 'withdrawn', data: { amount: 9 } },
      { name: 'deposited', data: { amount: 1 } },
    ]);
    const replay = await replayStream(store, Wallet, 'w');
    expect(replay.steps).toHaveLength(1);
    expect(replay.failure?.event.version).toBe(2);
    expect(String(replay.failure?.error)).toContain('cannot withdraw 9 from 5');
    expect(replay.failure?.stateBefore).toEqual({ balance: 5, history: [5] });
  });

  it('writes nothing to the store it reads, whatever the kind', async () => {
    const store = await storeWith('c', [{ name: 'counted' }, { name: 'counted' }]);
    const before = await store.readAll();
    const replay = await replayStream(store, Counter, 'c');
    expect(replay.steps.at(-1)?.state).toEqual({ n: 2 });
    expect(await store.readAll()).toEqual(before);
    expect((await store.readLease('leader:c')).term).toBe(0);
  });

  it('replays a stream that does not exist as no step', async () => {
    class Plain extends Actor<{ seen: number }> {
      protected override _state = { seen: 0 };
    }
    const replay = await replayStream(memoryStore(), Plain, 'nobody');
    expect(replay.steps).toEqual([]);
    expect(replay.storedVersion).toBe(0);
  });
});

describe('state changes', () => {
  it('names added, removed and changed paths, in maps, sets and dates too', () => {
    const before = { a: 1, tags: new Set(['x']), seen: new Map([['k', 1]]), at: new Date(0), gone: true };
    const after = { a: 2, tags: new Set(['y']), seen: new Map([['k', 2]]), at: new Date(1000) };
    expect(formatChanges(stateChanges(before, after))).toEqual([
      '  a: 1 → 2',
      '- tags{"x"}: "x"',
      '+ tags{"y"}: "y"',
      '  seen.get("k"): 1 → 2',
      '  at: 1970-01-01T00:00:00.000Z → 1970-01-01T00:00:01.000Z',
      '- gone: true',
    ]);
    expect(stateChanges({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
  });
});
