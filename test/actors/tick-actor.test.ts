import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createContainer,
  memoryStore,
  TickActor,
  UsageError,
  type EventStore,
  type StoredEvent,
  type TickData,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';

class Metronome extends TickActor<{ beats: number[] }> {
  static override resolution = 40;
  protected override _state = { beats: [] as number[] };
  tick(data: TickData) {
    this._state.beats.push(data.n);
  }
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-tick-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

function nodes(count: number): EventStore[] {
  const file = join(directory, `tick-${++files}.sqlite`);
  return Array.from({ length: count }, () => sqliteStore({ file, pollIntervalMs: 2 }));
}

async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Ticks are numbered 1, 2, 3, … with no gap or repeat, each planned a resolution (or more) after the one before, and none stored early. */
function checkTicks(events: readonly StoredEvent[], resolution: number): void {
  const ticks = events.filter((event) => event.name === 'tick');
  ticks.forEach((tick, index) => {
    const data = tick.data as unknown as TickData;
    expect(data.n).toBe(index + 1);
    expect(Date.parse(tick.at)).toBeGreaterThanOrEqual(Date.parse(data.at));
    if (index > 0) {
      const previous = ticks[index - 1]!.data as unknown as TickData;
      expect(Date.parse(data.at) - Date.parse(previous.at)).toBeGreaterThanOrEqual(resolution);
    }
  });
}

describe('TickActor', () => {
  it('ticks n = 1, 2, 3 … a resolution apart, each stored no earlier than planned', async () => {
    const store = memoryStore();
    const metronome = await new Metronome('m1', createContainer({ store })).Load();
    await eventually(() => expect(metronome.state.beats.length).toBeGreaterThanOrEqual(4));
    await metronome.Dispose();
    const events = await store.readStream('m1');
    checkTicks(events, Metronome.resolution);
    expect(metronome.state.beats).toEqual(events.map((event) => (event.data as TickData).n));
    await store.close();
  });

  it('one node ticks at a time; the others apply the same ticks from the live feed', async () => {
    const stores = nodes(3);
    const metronomes = await Promise.all(
      stores.map((store) => new Metronome('m2', createContainer({ store })).Load()),
    );
    await eventually(() => expect(metronomes.filter((m) => m.isLeader)).toHaveLength(1));
    await eventually(() =>
      expect(Math.min(...metronomes.map((m) => m.state.beats.length))).toBeGreaterThanOrEqual(5),
    );
    for (const metronome of metronomes) await metronome.Dispose();
    const events = await stores[0]!.readStream('m2');
    checkTicks(events, Metronome.resolution);
    for (const metronome of metronomes) {
      expect(metronome.state.beats).toEqual(
        events.slice(0, metronome.state.beats.length).map((e) => (e.data as TickData).n),
      );
    }
    await Promise.all(stores.map((store) => store.close()));
  });

  it('goes on from the last stored n after a graceful handover and after a full restart', async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const first = await new Metronome('m3', createContainer({ store: a })).Load();
    const second = await new Metronome('m3', createContainer({ store: b })).Load();
    await eventually(() => expect(first.state.beats.length).toBeGreaterThanOrEqual(3));
    const leader = first.isLeader ? first : second;
    const other = leader === first ? second : first;
    await leader.Dispose();
    await eventually(() => expect(other.isLeader).toBe(true));
    const handedAt = other.state.beats.length;
    await eventually(() => expect(other.state.beats.length).toBeGreaterThanOrEqual(handedAt + 3));
    await other.Dispose();
    // Nobody holds it: no ticks. Then a new instance resumes from the last stored n.
    const stopped = (await a.readStream('m3')).length;
    await new Promise((resolve) => setTimeout(resolve, 3 * Metronome.resolution));
    expect(await a.readStream('m3')).toHaveLength(stopped);
    const again = await new Metronome('m3', createContainer({ store: a })).Load();
    await eventually(() => expect(again.state.beats.length).toBeGreaterThanOrEqual(stopped + 2));
    await again.Dispose();
    checkTicks(await a.readStream('m3'), Metronome.resolution);
    await Promise.all([a.close(), b.close()]);
  });

  it('skips ticks missed while nobody held it by default, with one tick that says how many', async () => {
    const store = memoryStore();
    const first = await new Metronome('m4', createContainer({ store })).Load();
    await eventually(() => expect(first.state.beats.length).toBeGreaterThanOrEqual(2));
    await first.Dispose();
    await new Promise((resolve) => setTimeout(resolve, 10 * Metronome.resolution));
    const second = await new Metronome('m4', createContainer({ store })).Load();
    await eventually(() =>
      expect(second.state.beats.length).toBeGreaterThanOrEqual(first.state.beats.length + 1),
    );
    await second.Dispose();
    const ticks = (await store.readStream('m4')).map((event) => event.data as TickData);
    const resumed = ticks[first.state.beats.length]!;
    expect(resumed.n).toBe(first.state.beats.length + 1);
    expect(resumed.missed).toBeGreaterThanOrEqual(5);
    await store.close();
  });

  it("with missedTicks 'catch-up', fires every missed tick, one by one", async () => {
    class Counter extends Metronome {
      static override missedTicks = 'catch-up' as const;
    }
    const store = memoryStore();
    const first = await new Counter('m5', createContainer({ store })).Load();
    await eventually(() => expect(first.state.beats.length).toBeGreaterThanOrEqual(2));
    await first.Dispose();
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10 * Counter.resolution));
    const second = await new Counter('m5', createContainer({ store })).Load();
    // Every slot since the last tick, fired at once.
    const due = first.state.beats.length + Math.floor((Date.now() - stoppedAt) / Counter.resolution) - 1;
    await eventually(() => expect(second.state.beats.length).toBeGreaterThanOrEqual(due));
    await second.Dispose();
    const ticks = (await store.readStream('m5')).map((event) => event.data as TickData);
    expect(ticks.every((tick) => tick.missed === undefined)).toBe(true);
    checkTicks(await store.readStream('m5'), Counter.resolution);
    await store.close();
  });

  it('refuses a tick fired by hand, and settings that cannot work', async () => {
    const store = memoryStore();
    const container = createContainer({ store });
    class Hand extends Metronome {
      Beat() {
        return this.Fire('tick', { n: 1, at: new Date().toISOString() });
      }
    }
    const hand = new Hand('m6', container);
    expect(() => hand.Beat()).toThrow(UsageError);
    class Zero extends Metronome {
      static override resolution = 0;
    }
    class Odd extends Metronome {
      static override missedTicks = 'later' as never;
    }
    expect(() => new Zero('z', container)).toThrow(/Zero.resolution/);
    expect(() => new Odd('o', container)).toThrow(/Odd.missedTicks/);
    await store.close();
  });
});
