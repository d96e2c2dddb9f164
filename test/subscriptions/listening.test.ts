/**
 * ListenTo and ListenFor: what a listener hears, in which order, and how its reactions are stored —
 * once, with their cause, resuming after a restart — on the memory and SQLite engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  InvalidActorIdError,
  InvalidEventError,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  UsageError,
  type Container,
  type ErrorContext,
  type EventStore,
  type StoredEvent,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';
import { gameClass, Player } from './game.js';

const directories: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function sqliteFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'omniscient-listening-'));
  directories.push(directory);
  return join(directory, 'store.sqlite');
}

function track<T extends { Dispose(): Promise<void> } | EventStore>(thing: T): T {
  cleanups.push(() => ('Dispose' in thing ? thing.Dispose() : thing.close()));
  return thing;
}

const engines = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ file: ':memory:', pollIntervalMs: 2 })],
] as const;

/** Records what it hears, firing nothing. */
class Recorder extends Actor {
  heard: StoredEvent[] = [];
}

describe.each(engines)('listening (%s)', (_engine, makeStore) => {
  it('ListenTo hears every event of another stream in version order, those stored before Load too', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    await store.appendToStream('p1', [{ name: 'a' }, { name: 'b' }]);
    const recorder = new Recorder('recorder', container);
    recorder.ListenTo('p1', (event) => void recorder.heard.push(event));
    track(await recorder.Load());
    await store.appendToStream('p1', [{ name: 'c' }]);
    await store.appendToStream('p2', [{ name: 'a' }]);
    await store.appendToStream('p1', [{ name: 'd' }, { name: 'e' }]);
    await eventually(() => expect(recorder.heard.map((event) => event.version)).toEqual([1, 2, 3, 4, 5]));
    expect(recorder.heard.map((event) => event.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new Set(recorder.heard.map((event) => event.stream))).toEqual(new Set(['p1']));
  });

  it('ListenFor hears every event of one name, whatever the stream, in position order', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    await store.appendToStream('p1', [{ name: 'died' }, { name: 'other' }]);
    await store.appendToStream('p2', [{ name: 'died' }]);
    const recorder = new Recorder('recorder', container);
    recorder.ListenFor('died', (event) => void recorder.heard.push(event));
    track(await recorder.Load());
    for (let round = 0; round < 20; round++) {
      await store.appendToStream(`p${round % 3}`, [{ name: 'died', data: round }, { name: 'other' }]);
    }
    await eventually(() => expect(recorder.heard).toHaveLength(22));
    const positions = recorder.heard.map((event) => event.position);
    expect(positions).toEqual([...positions].sort((left, right) => left - right));
    expect(new Set(positions).size).toBe(22);
    expect(recorder.heard.every((event) => event.name === 'died')).toBe(true);
  });

  it('the seed game respawns a player who died and ejects one who exited or has no lives left', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    const Game = gameClass(Actor);
    const game = track(await new Game('game', container).Load());
    const alice = track(await new Player('alice', container).Load());
    const bob = track(await new Player('bob', container).Load());
    await alice.Die();
    await bob.Exit();
    await alice.Die();
    await alice.Die();
    await eventually(() => expect(game.version).toBe(4));
    expect(game.state).toEqual({
      respawns: { alice: 2 },
      ejected: ['bob', 'alice'],
      deaths: { alice: 3, bob: 1 },
    });
  });

  it('a reaction records its cause; the correlation id is carried along a chain of reactions', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    class Relay extends Actor {
      constructor(id: string, c: Container, from: string) {
        super(id, c);
        this.ListenTo(from, (event) => this.Fire('relayed', { from: event.stream }));
      }
    }
    const first = track(await new Relay('first', container, 'source').Load());
    const second = track(await new Relay('second', container, 'first').Load());
    const [cause] = (await store.appendToStream('source', [{ name: 'happened' }])).events as [StoredEvent];
    await eventually(() => expect(second.version).toBe(1));
    expect(first.version).toBe(1);
    const [reaction] = (await store.readStream('first')) as [StoredEvent];
    const [next] = (await store.readStream('second')) as [StoredEvent];
    expect(reaction.meta).toEqual({
      actor: 'Relay',
      causationId: cause.id,
      correlationId: cause.id,
      reaction: { listener: 'to:source', stream: 'source', version: 1, position: cause.position },
    });
    expect(next.meta.causationId).toBe(reaction.id);
    expect(next.meta.correlationId).toBe(cause.id);
  });

  it('events another actor fires while reacting carry the causation and correlation, not the reaction', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    const bystander = track(await new Player('bystander', container).Load());
    class Forwarder extends Actor {
      constructor(id: string, c: Container) {
        super(id, c);
        this.ListenFor('ping', () => bystander.Die());
      }
    }
    track(await new Forwarder('forwarder', container).Load());
    const [cause] = (await store.appendToStream('x', [{ name: 'ping' }])).events as [StoredEvent];
    await eventually(() => expect(bystander.version).toBe(1));
    const [died] = (await store.readStream('bystander')) as [StoredEvent];
    expect(died.meta).toEqual({ actor: 'Player', causationId: cause.id, correlationId: cause.id });
  });

  it('a listener that throws is reported with the operation "listen", and the next event is still heard', async () => {
    const reported: Array<[unknown, ErrorContext]> = [];
    const store = track(makeStore());
    const container = createContainer({
      store,
      onError: (error, context) => reported.push([error, context]),
    });
    const recorder = new Recorder('recorder', container);
    recorder.ListenFor('tick', (event) => {
      if (event.data === 1) throw new Error('cannot handle 1');
      recorder.heard.push(event);
    });
    track(await recorder.Load());
    await store.appendToStream('s', [
      { name: 'tick', data: 1 },
      { name: 'tick', data: 2 },
    ]);
    await eventually(() => expect(recorder.heard.map((event) => event.data)).toEqual([2]));
    expect(reported).toHaveLength(1);
    expect((reported[0]?.[0] as Error).message).toBe('cannot handle 1');
    expect(reported[0]?.[1]).toMatchObject({ operation: 'listen', actor: 'Recorder', stream: 'recorder' });
  });

  it('a reaction its own handler refuses is reported, stores nothing, and the listener goes on', async () => {
    const reported: unknown[] = [];
    const store = track(makeStore());
    const container = createContainer({ store, onError: (error) => reported.push(error) });
    class Picky extends Actor {
      constructor(id: string, c: Container) {
        super(id, c);
        this.ListenFor('offer', (event) => this.Fire('accepted', event.data));
      }
      accepted(data: number) {
        if (data < 0) throw new Error('no negative offers');
      }
    }
    const picky = track(await new Picky('picky', container).Load());
    await store.appendToStream('s', [
      { name: 'offer', data: -1 },
      { name: 'offer', data: 5 },
    ]);
    await eventually(() => expect(picky.version).toBe(1));
    expect((await store.readStream('picky')).map((event) => event.data)).toEqual([5]);
    expect(reported.length).toBeGreaterThanOrEqual(1);
  });

  it('close() stops a listener; Dispose closes every listener and waits for the reaction in progress', async () => {
    const store = track(makeStore());
    const container = createContainer({ store });
    const recorder = new Recorder('recorder', container);
    const subscription = recorder.ListenTo('s', (event) => void recorder.heard.push(event));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Slow extends Actor {
      constructor(id: string, c: Container) {
        super(id, c);
        this.ListenTo('s', async (event) => {
          await gate;
          await this.Fire('done', { version: event.version });
        });
      }
    }
    await recorder.Load();
    const slow = await new Slow('slow', container).Load();
    await store.appendToStream('s', [{ name: 'a' }]);
    await eventually(() => expect(recorder.heard).toHaveLength(1));
    await subscription.close();
    await store.appendToStream('s', [{ name: 'b' }]);
    const disposed = slow.Dispose();
    release();
    await disposed;
    expect((await store.readStream('slow')).map((event) => event.data)).toEqual([{ version: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(recorder.heard).toHaveLength(1);
    await recorder.Dispose();
  });

  it('a reaction the store could not take for a while is retried for the same event, and stored once', async () => {
    const inner = makeStore();
    let failures = 3;
    const store: EventStore = {
      ...inner,
      engine: inner.engine,
      limits: inner.limits,
      async appendToStream(stream, events, options) {
        if (stream === 'manager' && failures > 0) {
          failures--;
          throw new StoreUnavailableError('the store is away');
        }
        return inner.appendToStream(stream, events, options);
      },
    };
    track(inner);
    const container = createContainer({ store, onError: () => undefined });
    class Manager extends Actor {
      constructor(id: string, c: Container) {
        super(id, c);
        this.ListenFor('order', (event) => this.Fire('handled', { order: event.data }));
      }
    }
    const manager = track(await new Manager('manager', container).Load());
    await inner.appendToStream('s', [
      { name: 'order', data: 1 },
      { name: 'order', data: 2 },
    ]);
    await eventually(() => expect(manager.version).toBe(2), 10_000);
    expect((await inner.readStream('manager')).map((event) => event.data)).toEqual([
      { order: 1 },
      { order: 2 },
    ]);
  });
});

describe('reactions across restarts and nodes (SQLite file)', () => {
  it('restarted, the game reacts once to what was fired while it was down, and never again to what it had reacted to', async () => {
    const file = sqliteFile();
    const Game = gameClass(Actor);
    const first = sqliteStore({ file, pollIntervalMs: 2 });
    const game = await new Game('game', createContainer({ store: first })).Load();
    const players = track(sqliteStore({ file, pollIntervalMs: 2 }));
    const playersContainer = createContainer({ store: players });
    const alice = track(await new Player('alice', playersContainer).Load());
    await alice.Die();
    await eventually(() => expect(game.version).toBe(1));
    // The game's process stops without a word: its store is closed under it.
    await first.close();
    await alice.Die();
    const bob = track(await new Player('bob', playersContainer).Load());
    await bob.Exit();
    const second = track(sqliteStore({ file, pollIntervalMs: 2 }));
    const restarted = track(await new Game('game', createContainer({ store: second })).Load());
    await alice.Die();
    await eventually(() => expect(restarted.version).toBe(4));
    const reactions = await second.readStream('game');
    expect(reactions.map((event) => [event.name, (event.data as { player: string }).player])).toEqual([
      ['player_respawned', 'alice'],
      ['player_respawned', 'alice'],
      ['player_ejected', 'bob'],
      ['player_ejected', 'alice'],
    ]);
    const causes = reactions.map((event) => event.meta.causationId);
    expect(new Set(causes).size).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await second.streamVersion('game')).toBe(4);
  });

  for (const Base of [Actor, LiveActor]) {
    it(`two nodes holding the game store one reaction per cause (${Base.name})`, async () => {
      const file = sqliteFile();
      const Game = gameClass(Base);
      const stores = [0, 1, 2].map(() => track(sqliteStore({ file, pollIntervalMs: 2 })));
      const [one, two, players] = stores as [EventStore, EventStore, EventStore];
      const games = [
        track(await new Game('game', createContainer({ store: one })).Load()),
        track(await new Game('game', createContainer({ store: two })).Load()),
      ];
      const container = createContainer({ store: players });
      const names = ['a', 'b', 'c', 'd', 'e'];
      const all = await Promise.all(names.map((name) => new Player(name, container).Load()));
      all.forEach(track);
      for (let round = 0; round < 3; round++) await Promise.all(all.map((player) => player.Die()));
      await eventually(async () => expect(await players.streamVersion('game')).toBe(15), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reactions = await players.readStream('game');
      expect(reactions).toHaveLength(15);
      expect(new Set(reactions.map((event) => event.meta.causationId)).size).toBe(15);
      const fresh = await new Game('game', createContainer({ store: players })).Load();
      expect(fresh.state.ejected.sort()).toEqual(names);
      await fresh.Dispose();
      await Promise.all(games.map((game) => game.Load()));
      for (const game of games) expect(game.state).toEqual(fresh.state);
    });
  }

  it('a stored event that cannot be read is reported and passed over; the events after it are heard', async () => {
    const file = sqliteFile();
    const store = track(sqliteStore({ file, pollIntervalMs: 2 }));
    await store.appendToStream('s', [
      { name: 'order', data: 1 },
      { name: 'order', data: 2 },
      { name: 'order', data: 3 },
    ]);
    const raw = new Database(file);
    raw.prepare(`UPDATE events SET data = '{"broken": ' WHERE stream = 's' AND version = 2`).run();
    raw.close();
    const errors: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_message: string, context?: Record<string, unknown>) => errors.push(context?.['error']),
    };
    const recorder = new Recorder('recorder', createContainer({ store, logger }));
    recorder.ListenFor('order', (event) => void recorder.heard.push(event));
    track(await recorder.Load());
    await eventually(() => expect(recorder.heard.map((event) => event.data)).toEqual([1, 3]));
    expect(errors.some((error) => error instanceof Error && error.name === 'CorruptEventError')).toBe(true);
  });
});

describe('listening with bad input', () => {
  it('refuses a listener that is not a function, a bad actor id or event name, a second listener for one target, and listening after Dispose or from a handler', async () => {
    const store = track(memoryStore());
    const container = createContainer({ store });
    const recorder = new Recorder('recorder', container);
    expect(() => recorder.ListenTo('s', 'nope' as never)).toThrow(UsageError);
    expect(() => recorder.ListenTo('', () => undefined)).toThrow(InvalidActorIdError);
    expect(() => recorder.ListenFor('bad name!', () => undefined)).toThrow(InvalidEventError);
    recorder.ListenFor('died', () => undefined);
    expect(() => recorder.ListenFor('died', () => undefined)).toThrow(/already listens for "died"/);
    class Sneaky extends Actor {
      happened() {
        this.ListenTo('s', () => undefined);
      }
    }
    const sneaky = await new Sneaky('sneaky', container).Load();
    await store.appendToStream('sneaky', [{ name: 'happened' }]);
    await expect(sneaky.Load()).rejects.toThrow(/from inside a handler/);
    await recorder.Dispose();
    expect(() => recorder.ListenTo('s', () => undefined)).toThrow(/was disposed/);
  });
});
