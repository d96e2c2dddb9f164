import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContainer, LiveActor, memoryStore, UsageError, type EventStore } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';

class Player extends LiveActor<{ lives: number; attempts: number }> {
  protected override _state = { lives: 0, attempts: 0 };
  Gain(lives: number) {
    return this.Fire('lives_added', { lives });
  }
  /** At most 3 attempts, whatever the concurrency. */
  TryLogin() {
    return this.RerunOnConflict(() => {
      if (this._state.attempts >= 3) return false;
      void this.Fire('login_attempted', {});
      return true;
    });
  }
  lives_added(data: { lives: number }) {
    this._state.lives += data.lives;
  }
  login_attempted() {
    this._state.attempts += 1;
  }
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-live-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

/** Two stores on one SQLite file: two connections, as two processes would have. */
function twoConnections(): [EventStore, EventStore] {
  const file = join(directory, `live-${++files}.sqlite`);
  return [sqliteStore({ file, pollIntervalMs: 2 }), sqliteStore({ file, pollIntervalMs: 2 })];
}

describe('LiveActor, live', () => {
  it('sees another connection’s events without calling Load again', async () => {
    const [storeA, storeB] = twoConnections();
    const a = await new Player('p', createContainer({ store: storeA })).Load();
    const b = await new Player('p', createContainer({ store: storeB })).Load();
    await a.Gain(2);
    await a.Gain(3);
    await eventually(() => expect(b.state.lives).toBe(5));
    expect(b.version).toBe(2);
    await b.Gain(1);
    await eventually(() => expect(a.state.lives).toBe(6));
    await Promise.all([a.Dispose(), b.Dispose(), storeA.close(), storeB.close()]);
  });

  it('two connections firing at once end with the same events and the same state', async () => {
    const [storeA, storeB] = twoConnections();
    const a = await new Player('hot', createContainer({ store: storeA })).Load();
    const b = await new Player('hot', createContainer({ store: storeB })).Load();
    const fired = [];
    for (let index = 1; index <= 30; index++) {
      fired.push(a.Gain(index), b.Gain(100 * index));
    }
    await Promise.all(fired);
    const expected = 465 + 46_500;
    await eventually(() => {
      expect(a.state.lives).toBe(expected);
      expect(b.state.lives).toBe(expected);
    });
    const events = await storeA.readStream('hot');
    expect(events.map((event) => event.version)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    const fresh = await new Player('hot', createContainer({ store: storeA })).Load();
    expect(fresh.state).toEqual(a.state);
    await Promise.all([a.Dispose(), b.Dispose(), fresh.Dispose(), storeA.close(), storeB.close()]);
  });

  it('a command re-run on conflict keeps its invariant under concurrency', async () => {
    const [storeA, storeB] = twoConnections();
    const players = [
      ...(await Promise.all(
        [1, 2, 3].map(() => new Player('login', createContainer({ store: storeA })).Load()),
      )),
      ...(await Promise.all(
        [1, 2, 3].map(() => new Player('login', createContainer({ store: storeB })).Load()),
      )),
    ];
    const results = await Promise.all(players.flatMap((player) => [player.TryLogin(), player.TryLogin()]));
    expect(results.filter(Boolean)).toHaveLength(3);
    const events = await storeA.readStream('login');
    expect(events.filter((event) => event.name === 'login_attempted')).toHaveLength(3);
    await Promise.all([...players.map((player) => player.Dispose()), storeA.close(), storeB.close()]);
  });

  it('a command run by RerunOnConflict must be synchronous', async () => {
    const player = await new Player('p', createContainer({ store: memoryStore() })).Load();
    await expect(player.RerunOnConflict(async () => player.Gain(1))).rejects.toBeInstanceOf(UsageError);
    await player.Flush().catch(() => undefined);
    expect(player.state.lives).toBe(0);
  });

  it('stops listening once disposed, and refuses to fire or load', async () => {
    const store = memoryStore();
    const writer = await new Player('p', createContainer({ store })).Load();
    const listener = await new Player('p', createContainer({ store })).Load();
    await listener.Dispose();
    await writer.Gain(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listener.state.lives).toBe(0);
    expect(() => listener.Gain(1)).toThrow(UsageError);
    await expect(listener.Load()).rejects.toBeInstanceOf(UsageError);
  });
});

describe('RerunOnConflict', () => {
  it('drops what a refusing command fired before it threw', async () => {
    class Strict extends LiveActor<{ n: number }> {
      protected override _state = { n: 0 };
      Bump() {
        return this.RerunOnConflict(() => {
          void this.Fire('bumped', {});
          throw new Error('refused');
        });
      }
      bumped() {
        this._state.n += 1;
      }
    }
    const store = memoryStore();
    const strict = await new Strict('s', createContainer({ store })).Load();
    await expect(strict.Bump()).rejects.toThrow('refused');
    await strict.Flush();
    expect(strict.state.n).toBe(0);
    expect(await store.readStream('s')).toEqual([]);
  });
});
