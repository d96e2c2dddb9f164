/**
 * Listeners of the elected kinds: a OneActor listens and reacts on its leader only, so a reaction
 * is stored once with its cause and an observer's side effect runs on one node; every node holding
 * it campaigns, and a successor takes up where the leader's reactions end. Ticks are heard like any
 * stream's events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  OneActor,
  TickActor,
  type Container,
  type EventStore,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';

const cleanups: Array<() => Promise<unknown>> = [];
let directory: string | undefined;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function stores(count: number): EventStore[] {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-elected-listening-'));
  const file = join(directory, 'store.sqlite');
  return Array.from({ length: count }, () => {
    const store = sqliteStore({ file, pollIntervalMs: 2 });
    cleanups.push(() => store.close());
    return store;
  });
}

class Referee extends OneActor<{ seen: number }> {
  static override leaseTtlMs = 500;
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { seen: 0 };
    this.ListenFor('ping', () => this.Fire('ponged', { n: this._state.seen + 1 }));
  }
  ponged(data: { n: number }) {
    if (data.n !== this._state.seen + 1) throw new Error(`pong ${data.n} after ${this._state.seen}`);
    this._state.seen = data.n;
  }
}

describe('listeners of elected actors', () => {
  it('a OneActor held on two nodes reacts once per event, on its leader, and its successor takes up after a handover', async () => {
    const [one, two, writer] = stores(3) as [EventStore, EventStore, EventStore];
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const first = await new Referee('referee', createContainer({ store: one, onError })).Load();
    const second = await new Referee('referee', createContainer({ store: two, onError })).Load();
    cleanups.push(() => second.Dispose());
    await eventually(() => expect(first.isLeader || second.isLeader).toBe(true));
    const [leader, follower] = first.isLeader ? [first, second] : [second, first];
    for (let index = 0; index < 10; index++) await writer.appendToStream(`p${index % 3}`, [{ name: 'ping' }]);
    await eventually(async () => expect(await writer.streamVersion('referee')).toBe(10));
    await leader.Dispose();
    for (let index = 0; index < 5; index++) await writer.appendToStream(`p${index % 3}`, [{ name: 'ping' }]);
    await eventually(() => expect(follower.isLeader).toBe(true), 5_000);
    await eventually(async () => expect(await writer.streamVersion('referee')).toBe(15), 10_000);
    await eventually(() => expect(follower.state.seen).toBe(15));
    const pings = await writer.readAll({ names: ['ping'] });
    const reactions = await writer.readStream('referee');
    expect(reactions.map((event) => event.meta.causationId)).toEqual(pings.map((ping) => ping.id));
    expect(reactions.map((event) => (event.data as { n: number }).n)).toEqual(
      pings.map((_, index) => index + 1),
    );
    expect(errors).toEqual([]);
  });

  it('when the leader of a OneActor stops without a word, another node holding it takes over within a lease and reacts', async () => {
    const [one, two, writer] = stores(3) as [EventStore, EventStore, EventStore];
    const first = await new Referee('referee', createContainer({ store: one })).Load();
    const second = await new Referee('referee', createContainer({ store: two })).Load();
    cleanups.push(() => second.Dispose());
    await eventually(() => expect(first.isLeader || second.isLeader).toBe(true));
    const [leader, leaderStore, follower] = first.isLeader ? [first, one, second] : [second, two, first];
    await writer.appendToStream('p', [{ name: 'ping' }]);
    await eventually(() => expect(follower.state.seen).toBe(1));
    // The leader's process dies: its connection closes under it, its lease is left to lapse.
    await leaderStore.close();
    expect(leader.isLeader).toBe(true);
    for (let index = 0; index < 3; index++) await writer.appendToStream('p', [{ name: 'ping' }]);
    await eventually(() => expect(follower.state.seen).toBe(4), 10_000);
    expect(follower.isLeader).toBe(true);
    const reactions = await writer.readStream('referee');
    expect(new Set(reactions.map((event) => event.meta.causationId)).size).toBe(4);
  });

  it('an observer on a OneActor held on two nodes hears each event on the leader only, and the leader keeps its lease', async () => {
    const [one, two, writer] = stores(3) as [EventStore, EventStore, EventStore];
    const heard: Array<[string, string]> = [];
    class Mailer extends OneActor {
      static override leaseTtlMs = 500;
      static override requestTimeoutMs = 100;
      constructor(id: string, container: Container, node: string) {
        super(id, container);
        // A side effect that stores nothing: sending an e-mail, say.
        this.ListenFor('signed_up', (event) => void heard.push([node, event.id]));
      }
    }
    const a = await new Mailer('mailer', createContainer({ store: one }), 'a').Load();
    const b = await new Mailer('mailer', createContainer({ store: two }), 'b').Load();
    cleanups.push(
      () => a.Dispose(),
      () => b.Dispose(),
    );
    await eventually(() => expect(a.isLeader || b.isLeader).toBe(true));
    const leader = a.isLeader ? 'a' : 'b';
    for (let index = 0; index < 5; index++) await writer.appendToStream(`u${index}`, [{ name: 'signed_up' }]);
    await eventually(() => expect(heard).toHaveLength(5));
    // Several request timeouts later: nobody took the lease from a leader that had nothing to store.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(heard).toHaveLength(5);
    expect(new Set(heard.map(([node]) => node))).toEqual(new Set([leader]));
    expect(a.isLeader ? 'a' : 'b').toBe(leader);
  });

  it('an actor listening to a TickActor reacts once to each tick', async () => {
    const [store] = stores(1) as [EventStore];
    class Clock extends TickActor {
      static override resolution = 20;
    }
    class Counter extends Actor<{ ticks: number }> {
      constructor(id: string, container: Container) {
        super(id, container);
        this._state = { ticks: 0 };
        this.ListenTo('clock', (event) => this.Fire('counted', { n: (event.data as { n: number }).n }));
      }
      counted(data: { n: number }) {
        this._state.ticks = data.n;
      }
    }
    const container = createContainer({ store });
    const counter = await new Counter('counter', container).Load();
    cleanups.push(() => counter.Dispose());
    const clock = await new Clock('clock', container).Load();
    await eventually(() => expect(counter.state.ticks).toBeGreaterThanOrEqual(5));
    await clock.Dispose();
    const ticks = await store.streamVersion('clock');
    await eventually(() => expect(counter.state.ticks).toBe(ticks));
    const reactions = await store.readStream('counter');
    expect(reactions.map((event) => (event.data as { n: number }).n)).toEqual(
      Array.from({ length: ticks }, (_, index) => index + 1),
    );
  });
});
