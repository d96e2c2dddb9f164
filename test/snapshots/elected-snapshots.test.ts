/**
 * Snapshots of the elected kinds keep, with the state, what the kind derives from the events: the
 * last request a leader served and the last tick. A new leader that loads from a snapshot serves no
 * request twice and ticks on from the tick after the last one, with no repeated `n`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContainer, OneActor, TickActor, type EventStore, type TickData } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { requestStreamOf } from '../../src/leadership/requests.js';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-elected-snapshots-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

function nodes(count: number): EventStore[] {
  const file = join(directory, `elected-${++files}.sqlite`);
  return Array.from({ length: count }, () => sqliteStore({ file, pollIntervalMs: 2 }));
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

class Wallet extends OneActor<{ balance: number }> {
  static override snapshotEvery = 2;
  static override requestTimeoutMs = 200;
  protected override _state = { balance: 0 };
  Deposit(amount: number) {
    return this.Fire('deposited', { amount });
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
}

class Metronome extends TickActor<{ beats: number[] }> {
  static override snapshotEvery = 2;
  static override resolution = 30;
  protected override _state = { beats: [] as number[] };
  tick(data: TickData) {
    this._state.beats.push(data.n);
  }
}

describe('snapshots of the elected kinds', () => {
  it('a OneActor leader loaded from a snapshot serves no request twice', async () => {
    const [a, b, c] = nodes(3) as [EventStore, EventStore, EventStore];
    const leader = await new Wallet('w1', createContainer({ store: a })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const follower = await new Wallet('w1', createContainer({ store: b })).Load();
    for (let amount = 1; amount <= 4; amount++) await follower.Deposit(amount);
    await eventually(async () => expect((await c.readSnapshot('w1', 'Wallet'))?.version).toBe(4));
    await Promise.all([leader.Dispose(), follower.Dispose()]);

    const successor = await new Wallet('w1', createContainer({ store: c })).Load();
    expect(successor.state.balance).toBe(10);
    await eventually(() => expect(successor.isLeader).toBe(true));
    await successor.Deposit(5);
    expect(successor.state.balance).toBe(15);
    const events = await c.readStream('w1');
    expect(events.map((event) => event.name)).toEqual(Array(5).fill('deposited'));
    const records = await c.readStream(requestStreamOf('w1'));
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.filter((record) => record.name === 'refused')).toEqual([]);
    await successor.Dispose();
    await Promise.all([a, b, c].map((store) => store.close()));
  });

  it('a TickActor loaded from a snapshot ticks on from the last tick, never repeating n', async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const first = await new Metronome('m1', createContainer({ store: a })).Load();
    await eventually(() => expect(first.state.beats.length).toBeGreaterThanOrEqual(4));
    await first.Dispose();
    const stored = await a.readStream('m1');
    const snapshot = await a.readSnapshot('m1', 'Metronome');
    expect(snapshot?.version).toBeGreaterThanOrEqual(4);

    const second = await new Metronome('m1', createContainer({ store: b })).Load();
    expect(second.state.beats).toEqual(stored.map((event) => (event.data as TickData).n));
    await eventually(() => expect(second.state.beats.length).toBeGreaterThanOrEqual(stored.length + 3));
    await second.Dispose();
    const ticks = (await b.readStream('m1')).map((event) => (event.data as TickData).n);
    expect(ticks).toEqual(ticks.map((_, index) => index + 1));
    await Promise.all([a, b].map((store) => store.close()));
  });
});
