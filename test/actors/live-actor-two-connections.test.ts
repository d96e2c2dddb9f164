/**
 * Hot stream over a real SQLite file (and a PostgreSQL schema) written through two store objects (two connections, as two
 * processes would be): LiveActors on both, plain Fires and RerunOnConflict commands at once. Every
 * promise settles, nothing is lost or doubled, and every actor ends in the state a fresh Load gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainer, LiveActor, type EventStore } from 'omniscient-actors';
import { sqliteStore } from '../../src/sqlite.js';
import { postgresStore } from '../../src/postgres.js';
import { freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';

class Seats extends LiveActor<{ taken: string[]; total: number }> {
  protected override _state = { taken: [] as string[], total: 0 };
  Add(amount: number) {
    return this.Fire('added', { amount });
  }
  Take(who: string) {
    return this.RerunOnConflict(() => {
      if (this._state.taken.includes(who)) return undefined;
      return this.Fire('taken', { who });
    });
  }
  added(data: { amount: number }) {
    this._state.total += data.amount;
  }
  taken(data: { who: string }) {
    if (this._state.taken.includes(data.who)) throw new Error(`${data.who} twice`);
    this._state.taken.push(data.who);
  }
}

let directory: string;
const stores: EventStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  rmSync(directory, { recursive: true, force: true });
});

function twoConnections(engine: string): [EventStore, EventStore] {
  if (engine === 'sqlite') {
    const file = join(directory, 'hot.sqlite');
    return [sqliteStore({ file, busyTimeoutMs: 5000 }), sqliteStore({ file, busyTimeoutMs: 5000 })];
  }
  const schema = freshSchema();
  return [
    postgresStore({ connectionString: POSTGRES_URL }, { schema }),
    postgresStore({ connectionString: POSTGRES_URL }, { schema }),
  ];
}

describe.each(['sqlite', 'postgres'])('LiveActors of one id on two %s connections', (engine) => {
  it('settle every Fire and agree with a fresh Load', async () => {
    directory = mkdtempSync(join(tmpdir(), 'live-two-connections-'));
    const [one, two] = twoConnections(engine);
    stores.push(one, two);
    const actors = await Promise.all(
      [one, one, two, two].map((store) => new Seats('room', createContainer({ store })).Load()),
    );
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 40; round++) {
      for (const [index, actor] of actors.entries()) {
        work.push(actor.Add(index + 1));
        if (round % 4 === index) work.push(actor.Take(`p${round % 10}`));
      }
      if (round % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(work);
    await Promise.all(actors.map((actor) => actor.Flush()));
    const fresh = await new Seats('room', createContainer({ store: one })).Load();
    expect(fresh.state.total).toBe(40 * (1 + 2 + 3 + 4));
    expect([...fresh.state.taken].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    // Each actor hears the rest live: wait until every one has caught up, then compare.
    for (const actor of actors) {
      while (actor.version < fresh.version) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(actor.state).toEqual(fresh.state);
    }
    await Promise.all([...actors, fresh].map((actor) => actor.Dispose()));
  }, 60_000);
});
