/**
 * Durable reactions across real processes: the seed's game (`test/subscriptions/game.ts`) runs in
 * its own process (`workers/game-worker.ts`) while player processes (`workers/player-worker.ts`)
 * fire deaths and exits for many players, on a shared SQLite file and on PostgreSQL.
 *
 * A game built on `Actor` is killed with SIGKILL in the middle of the stream and restarted while
 * the players go on firing, three times: from outside, wherever it has got to; frozen just after the
 * store took one of its reactions (the answer never heard); frozen just before one reached the
 * store (applied in memory only). A game built on `LiveActor` is held by two processes at once, and
 * each is killed from outside and restarted in turn while the other goes on reacting.
 *
 * The players fire in parts the test releases, so that causes are fired while a game runs, while it
 * is down, and while it starts again. At the end a checker reads the store and proves: every
 * `player_died` and `player_exited` has exactly one reaction in the game's stream (found by
 * `meta.causationId`), none missing, none twice, nothing else there; each reaction's
 * `meta.reaction` points at its cause and its correlation id is the cause's; each is the one the
 * rules ask for (a first and second death respawn, a third ejects, an exit ejects); each listener's
 * reactions follow its causes' order; the versions have no gap; a fresh `Load()` of the game, and
 * every game process still running, hold the state derived from the causes alone.
 *
 * Players that exit never die here: the game's two listeners run independently, and an exit's
 * ejection counts as a death in the game's state, so a death of a player who also exits would be
 * judged against whichever of the two reactions landed first.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actor, createContainer, LiveActor, type EventStore, type StoredEvent } from '../../src/index.js';
import { describeWithPostgres } from '../engines/postgres/server.js';
import { gameClass, type GameState } from '../subscriptions/game.js';
import { Cluster, type WorkerMessage, type WorkerProcess } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS } from './live-actor-cluster.js';
import {
  postgresCluster,
  redisCluster,
  sqliteCluster,
  type ClusterEngine,
  type FreshSharedStore,
} from './shared-stores.js';
import type { CrashPlan, GameWorkerConfig } from './workers/game-worker.js';
import type { PlayerAction, PlayerWorkerConfig } from './workers/player-worker.js';
import { describeWithRedis } from '../engines/redis/server.js';

const GAME = 'game';
const CAUSE_NAMES = ['player_died', 'player_exited'] as const;
const PLAYER_PROCESSES = 2;
const PLAYERS_PER_PROCESS = 60;
/** Part 0 on `go`; the others released one by one around the kills. */
const PARTS = 5;
/** Reactions stored before the first kill: the game is killed in the middle of its work. */
const REACTIONS_BEFORE_KILL = 20;
/** How long the causes may wait for their reactions once everything is fired, before the test fails. */
const REACTIONS_DEADLINE_MS = 25_000;

type Kind = GameWorkerConfig['kind'];

/** What player `index` of a process does: every fourth exits, the others die one to three times. */
function actionsOf(index: number): Array<PlayerAction['action']> {
  if (index % 4 === 3) return ['exit'];
  return Array.from({ length: (index % 3) + 1 }, () => 'die' as const);
}

/**
 * Each player process's actions, in parts: round by round (every player's first action, then every
 * second one, …), so one player's deaths are spread along the stream, then cut into `PARTS`.
 */
function playerParts(process: number): PlayerAction[][] {
  const players = Array.from({ length: PLAYERS_PER_PROCESS }, (_, index) => ({
    id: `p${process}-player-${index}`,
    actions: actionsOf(index),
  }));
  const ordered: PlayerAction[] = [];
  for (let round = 0; players.some(({ actions }) => actions.length > round); round++) {
    for (const { id, actions } of players) {
      const action = actions[round];
      if (action !== undefined) ordered.push({ player: id, action });
    }
  }
  const size = Math.ceil(ordered.length / PARTS);
  return Array.from({ length: PARTS }, (_, part) => ordered.slice(part * size, (part + 1) * size));
}

/** Every death and exit stored, in position order. */
async function storedCauses(store: EventStore): Promise<StoredEvent[]> {
  const causes: StoredEvent[] = [];
  for (;;) {
    const page = await store.readAll({
      after: causes.at(-1)?.position ?? 0,
      limit: 1000,
      names: [...CAUSE_NAMES],
    });
    causes.push(...page);
    if (page.length < 1000) return causes;
  }
}

interface Reaction {
  readonly name: string;
  readonly data: unknown;
}

/**
 * The reaction the rules ask for to each cause, by cause id: a player's first and second deaths
 * respawn them (with the count), the third ejects them; an exit ejects.
 */
function expectedReactions(causes: readonly StoredEvent[]): Map<string, Reaction> {
  const deaths = new Map<string, number>();
  const expected = new Map<string, Reaction>();
  for (const cause of causes) {
    const { player } = cause.data as { player: string };
    if (cause.name === 'player_exited') {
      expected.set(cause.id, { name: 'player_ejected', data: { player, reason: 'exited' } });
      continue;
    }
    const count = (deaths.get(player) ?? 0) + 1;
    deaths.set(player, count);
    expected.set(
      cause.id,
      count >= 3
        ? { name: 'player_ejected', data: { player, reason: 'no lives left' } }
        : { name: 'player_respawned', data: { player, deaths: count } },
    );
  }
  return expected;
}

/** The game's state derived from the causes alone, `ejected` sorted. */
function expectedState(causes: readonly StoredEvent[]): GameState {
  const state: GameState = { respawns: {}, ejected: [], deaths: {} };
  for (const reaction of expectedReactions(causes).values()) {
    const { player, deaths } = reaction.data as { player: string; deaths?: number };
    if (reaction.name === 'player_respawned') {
      state.respawns[player] = (state.respawns[player] ?? 0) + 1;
      state.deaths[player] = deaths as number;
    } else {
      state.ejected.push(player);
      state.deaths[player] = (state.deaths[player] ?? 0) + 1;
    }
  }
  state.ejected.sort();
  return state;
}

function describeCause(cause: StoredEvent): string {
  return `${cause.name} ${cause.stream}@${cause.version} (position ${cause.position}, id ${cause.id})`;
}

/** The reactions, in the stream, to the causes of the same listener within 5 positions of `cause`. */
function reactionsNear(
  reactions: readonly StoredEvent[],
  cause: StoredEvent,
  storedBy: (causeId: string) => string,
): string {
  return reactions
    .filter((reaction) => {
      const of = reaction.meta.reaction as { listener?: string; position?: number } | undefined;
      return of?.listener === `for:${cause.name}` && Math.abs((of.position ?? 0) - cause.position) <= 5;
    })
    .map(
      (reaction) =>
        `  ${reaction.version}: ${reaction.name} ${JSON.stringify(reaction.meta.reaction)}, stored by ` +
        storedBy(String(reaction.meta.causationId)),
    )
    .join('\n');
}

/** The causes with no reaction in `reactions` yet. */
function unanswered(causes: readonly StoredEvent[], reactions: readonly StoredEvent[]): StoredEvent[] {
  const answered = new Set(reactions.map((reaction) => reaction.meta.causationId));
  return causes.filter((cause) => !answered.has(cause.id));
}

/**
 * Proves that the game's stream holds exactly one right reaction per cause, in each listener's
 * order, with no gap; returns the causes.
 */
async function checkReactions(store: EventStore): Promise<StoredEvent[]> {
  const causes = await storedCauses(store);
  const reactions = await store.readStream(GAME);
  const expected = expectedReactions(causes);
  const causeById = new Map(causes.map((cause) => [cause.id, cause]));
  const reactionsTo = new Map<string, StoredEvent[]>();
  const notReactions: string[] = [];
  for (const reaction of reactions) {
    const causationId = reaction.meta.causationId;
    if (typeof causationId !== 'string' || !causeById.has(causationId)) {
      notReactions.push(`${reaction.name}@${reaction.version} (causationId ${String(causationId)})`);
      continue;
    }
    reactionsTo.set(causationId, [...(reactionsTo.get(causationId) ?? []), reaction]);
  }
  const missing: string[] = [];
  const twice: string[] = [];
  const wrong: string[] = [];
  for (const cause of causes) {
    const found = reactionsTo.get(cause.id) ?? [];
    if (found.length === 0) missing.push(describeCause(cause));
    if (found.length > 1) {
      twice.push(`${describeCause(cause)} at versions ${found.map((each) => each.version).join(', ')}`);
    }
    for (const reaction of found) {
      const actual = {
        name: reaction.name,
        data: reaction.data,
        actor: reaction.meta.actor,
        correlationId: reaction.meta.correlationId,
        reaction: reaction.meta.reaction,
      };
      const wanted = {
        ...expected.get(cause.id),
        actor: 'Game',
        correlationId: cause.id,
        reaction: {
          listener: `for:${cause.name}`,
          stream: cause.stream,
          version: cause.version,
          position: cause.position,
        },
      };
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
        wrong.push(
          `${describeCause(cause)}: stored ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`,
        );
      }
    }
  }
  // Each listener reacts to its causes one at a time, in position order.
  const outOfOrder: string[] = [];
  const lastPosition = new Map<string, number>();
  for (const reaction of reactions) {
    const cause = reaction.meta.reaction as { listener?: string; position?: number } | undefined;
    if (cause?.listener === undefined || cause.position === undefined) continue;
    if ((lastPosition.get(cause.listener) ?? 0) >= cause.position) {
      outOfOrder.push(`${reaction.name}@${reaction.version} reacts to position ${cause.position}`);
    }
    lastPosition.set(cause.listener, cause.position);
  }
  expect({ missing, twice, wrong, notReactions, outOfOrder }).toEqual({
    missing: [],
    twice: [],
    wrong: [],
    notReactions: [],
    outOfOrder: [],
  });
  expect(reactions.map((reaction) => reaction.version)).toEqual(reactions.map((_, index) => index + 1));
  expect(reactions).toHaveLength(causes.length);
  return causes;
}

/** A game loaded from the store now, as a process starting now would see it. */
async function freshlyLoaded(store: EventStore, kind: Kind): Promise<{ version: number; state: GameState }> {
  const Game = gameClass(kind === 'Actor' ? Actor : LiveActor);
  const game = await new Game(GAME, createContainer({ store })).Load();
  const loaded = { version: game.version, state: structuredClone(game.state) };
  await game.Dispose();
  return loaded;
}

/** `ejected` sorted: its order is the order the reactions landed in, which the checker sees elsewhere. */
function comparable(state: GameState): GameState {
  return { ...state, ejected: [...state.ejected].sort() };
}

/** Whether the process is stopped (SIGSTOP), as Linux reports it. */
function isStopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

interface ConvergedMessage extends WorkerMessage {
  readonly version: number;
  readonly state: GameState;
}

function describeGameReactions(engine: ClusterEngine): void {
  describe(`the seed's game reacting across processes on ${engine.name}`, () => {
    let fresh: FreshSharedStore;
    let cluster: Cluster;
    /** Every game process started in the test, the killed ones too, for what they reported. */
    let games: WorkerProcess[];

    beforeEach(async () => {
      fresh = await engine.create();
      cluster = new Cluster(fresh.shared);
      games = [];
    });

    afterEach(async () => {
      await cluster.stop();
      await fresh.dispose();
    });

    function startPlayers(): WorkerProcess[] {
      return Array.from({ length: PLAYER_PROCESSES }, (_, process) =>
        cluster.start('player-worker', `players-${process}`, {
          parts: playerParts(process),
          concurrency: 4,
        } satisfies PlayerWorkerConfig),
      );
    }

    function startGame(node: string, kind: Kind, crash?: CrashPlan): WorkerProcess {
      const config: GameWorkerConfig = {
        node,
        gameId: GAME,
        kind,
        ...(crash === undefined ? {} : { crash }),
      };
      const game = cluster.start('game-worker', node, config);
      games.push(game);
      return game;
    }

    /** Rejects as soon as one of `workers` fails (a worker that dies unasked fails the cluster). */
    function failureOf(workers: readonly WorkerProcess[]): Promise<never> {
      const failure = Promise.race(workers.map((worker) => worker.until(() => false))) as Promise<never>;
      failure.catch(() => undefined);
      return failure;
    }

    /** Waits until the game's stream holds at least `count` events; returns how many causes are stored then. */
    async function untilReactions(count: number, running: readonly WorkerProcess[]): Promise<number> {
      const poll = async () => {
        while ((await fresh.store.streamVersion(GAME)) < count) await sleep(5);
        return (await storedCauses(fresh.store)).length;
      };
      return Promise.race([poll(), failureOf(running)]);
    }

    /** Releases the players' next part. */
    function release(players: readonly WorkerProcess[]): void {
      for (const player of players) player.send('continue');
    }

    async function untilPartFired(players: readonly WorkerProcess[], part: number): Promise<void> {
      await Promise.all(
        players.map((player) =>
          player.until(() => player.messagesOf('part-fired').some((message) => message['part'] === part)),
        ),
      );
      for (const player of players) {
        const fired = player.messagesOf('part-fired').find((message) => message['part'] === part);
        expect(fired?.['rejected'], `${player.name}'s part ${part}`).toEqual([]);
      }
    }

    /** Waits until `game` says it freezes at its armed crash, waits for the stop, and kills it. */
    async function killFrozen(
      game: WorkerProcess,
      running: readonly WorkerProcess[],
    ): Promise<WorkerMessage> {
      const crashing = await Promise.race([game.message('crashing'), failureOf(running)]);
      while (!isStopped(game.pid as number)) await sleep(2);
      await game.kill();
      return crashing;
    }

    /** Waits until every cause fired has a reaction stored, failing with the causes still unanswered. */
    async function untilEveryCauseIsAnswered(running: readonly WorkerProcess[]): Promise<void> {
      const deadline = Date.now() + REACTIONS_DEADLINE_MS;
      const poll = async () => {
        for (;;) {
          const causes = await storedCauses(fresh.store);
          const reactions = await fresh.store.readStream(GAME);
          const left = unanswered(causes, reactions);
          if (left.length === 0) return;
          if (Date.now() > deadline) {
            throw new Error(
              `${left.length} of ${causes.length} causes still have no reaction in the stream "${GAME}" ` +
                `${REACTIONS_DEADLINE_MS} ms after every part was fired; the first ones:\n` +
                left.slice(0, 10).map(describeCause).join('\n') +
                `\nthe game's reactions to the causes near the first one:\n` +
                reactionsNear(reactions, left[0] as StoredEvent, storedBy) +
                `\nthe appends of a reaction to it, by game process:\n${appendsOf((left[0] as StoredEvent).id)}` +
                `\nwhat each game process reported to the error hook:\n${errorsOfEachGame()}` +
                `\n${running.map((worker) => worker.describe()).join('\n')}`,
            );
          }
          await sleep(20);
        }
      };
      await Promise.race([poll(), failureOf(running)]);
    }

    /** Tells the running games the final version and returns their states once they reach it. */
    async function converge(running: readonly WorkerProcess[], version: number): Promise<ConvergedMessage[]> {
      for (const game of running) game.send('converge', { version });
      return Promise.all(running.map((game) => game.message<ConvergedMessage>('converged')));
    }

    /** What each game process, the killed ones too, reported to the error hook, for a failure's message. */
    function errorsOfEachGame(): string {
      return games
        .map((game) => {
          const errors = game.messagesOf('error').map((message) => `  ${JSON.stringify(message)}`);
          return [`${game.name}: ${errors.length === 0 ? 'nothing' : ''}`, ...errors].join('\n');
        })
        .join('\n');
    }

    /** The game processes whose append of a reaction to `causeId` the store answered with versions. */
    function storedBy(causeId: string): string {
      const names = games.filter((game) =>
        game
          .messagesOf('append')
          .some((message) => (message['causes'] as unknown[]).includes(causeId) && 'versions' in message),
      );
      return names.map((game) => game.name).join(' and ') || 'none that reported it';
    }

    /** Each game process's appends of a reaction to `causeId`, with what the store answered. */
    function appendsOf(causeId: string): string {
      const lines = games.flatMap((game) =>
        game
          .messagesOf('append')
          .filter((message) => (message['causes'] as unknown[]).includes(causeId))
          .map((message) => `  ${game.name}: ${JSON.stringify(message)}`),
      );
      return lines.length === 0 ? '  none' : lines.join('\n');
    }

    /** What the game processes reported to the error hook, by code, for the log. */
    function reportedErrors(): string {
      const codes = new Map<string, number>();
      for (const message of games.flatMap((game) => game.messagesOf('error'))) {
        const code = String(message['code']);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      return codes.size === 0 ? 'none' : [...codes].map(([code, count]) => `${count} × ${code}`).join(', ');
    }

    async function finishPlayers(players: readonly WorkerProcess[]): Promise<void> {
      for (const player of players) player.send('finish');
      const finished = await Promise.all(players.map((player) => player.message('finished')));
      for (const message of finished) expect(message['errors']).toEqual([]);
    }

    /** Every check on what is stored, and on the states of the games still running. */
    async function checkEverything(running: readonly WorkerProcess[], kind: Kind): Promise<number> {
      const causes = await checkReactions(fresh.store);
      const wanted = expectedState(causes);
      const loaded = await freshlyLoaded(fresh.store, kind);
      expect(loaded.version).toBe(causes.length);
      expect(comparable(loaded.state)).toEqual(wanted);
      const ejections = (await fresh.store.readStream(GAME))
        .filter((reaction) => reaction.name === 'player_ejected')
        .map((reaction) => (reaction.data as { player: string }).player);
      expect(loaded.state.ejected).toEqual(ejections);
      for (const { version, state } of await converge(running, causes.length)) {
        expect(version).toBe(causes.length);
        expect(state).toEqual(loaded.state);
      }
      return causes.length;
    }

    it(
      'a game (Actor) killed -9 mid-stream, then frozen just after a reaction was stored, then just ' +
        'before one was, each time killed and restarted, reacts exactly once to every death and exit, ' +
        'and rightly',
      async () => {
        const players = startPlayers();
        let game = startGame('game', 'Actor');
        await cluster.go();

        // Killed from outside wherever it is, while it works through part 0.
        const causesAtKill = await untilReactions(REACTIONS_BEFORE_KILL, [...players, game]);
        await game.kill();
        const reactionsAtKill = await fresh.store.streamVersion(GAME);

        // Part 1 is fired while no game runs: the next one finds at least its causes waiting, more
        // than the appends it makes before it freezes.
        release(players);
        await untilPartFired(players, 1);
        game = startGame('game (restarted)', 'Actor', { point: 'after-append', appends: 10 });
        release(players);
        const stored = await killFrozen(game, [...players, game]);

        await untilPartFired(players, 2);
        game = startGame('game (restarted twice)', 'Actor', { point: 'before-append', appends: 5 });
        release(players);
        const unstored = await killFrozen(game, [...players, game]);

        release(players);
        game = startGame('game (restarted three times)', 'Actor');
        await untilPartFired(players, PARTS - 1);
        await untilEveryCauseIsAnswered([...players, game]);

        await finishPlayers(players);
        const total = await checkEverything([game], 'Actor');
        const reactions = await fresh.store.readStream(GAME);
        // What the frozen games had just stored is there once; what one had not yet stored was made
        // by its successor, once (the checker counts every cause's reactions).
        const storedVersions = stored['versions'] as number[];
        expect(storedVersions.length).toBeGreaterThan(0);
        for (const version of storedVersions) {
          expect(reactions[version - 1]?.meta.causationId).toBe(
            (stored['causes'] as string[])[storedVersions.indexOf(version)],
          );
        }
        expect((unstored['causes'] as string[]).length).toBeGreaterThan(0);
        console.log(
          `${engine.name}, Actor game: killed with ${reactionsAtKill} reactions stored for ` +
            `${causesAtKill}+ causes; frozen after storing versions ${storedVersions.join(', ')}; frozen ` +
            `before storing ${(unstored['causes'] as string[]).length} reaction(s); ${total} causes each ` +
            `answered once; reported to the error hook: ${reportedErrors()}`,
        );
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );

    it(
      'a game (LiveActor) held by two processes at once, each killed -9 mid-stream and restarted in turn ' +
        'while the other reacts, stores exactly one right reaction per death and exit',
      async () => {
        const players = startPlayers();
        let first = startGame('node-a', 'LiveActor');
        let second = startGame('node-b', 'LiveActor');
        await cluster.go();

        // node-a killed from outside in the middle of part 0; node-b goes on alone through part 1.
        const causesAtKill = await untilReactions(REACTIONS_BEFORE_KILL, [...players, first, second]);
        await first.kill();
        const reactionsAtKill = await fresh.store.streamVersion(GAME);
        release(players);
        first = startGame('node-a (restarted)', 'LiveActor');
        await first.message('ready');

        // Both react to part 2, racing for each cause; node-b is killed in the middle of it.
        const reactionsBefore = await fresh.store.streamVersion(GAME);
        release(players);
        await untilReactions(reactionsBefore + 10, [...players, first, second]);
        await second.kill();
        const reactionsAtSecondKill = await fresh.store.streamVersion(GAME);

        // node-a alone through part 3, then both again.
        release(players);
        await untilPartFired(players, 3);
        second = startGame('node-b (restarted)', 'LiveActor');
        release(players);
        await untilPartFired(players, PARTS - 1);
        await untilEveryCauseIsAnswered([...players, first, second]);

        await finishPlayers(players);
        const total = await checkEverything([first, second], 'LiveActor');
        console.log(
          `${engine.name}, LiveActor game on two nodes: node-a killed with ${reactionsAtKill} reactions ` +
            `stored for ${causesAtKill}+ causes, node-b with ${reactionsAtSecondKill}; ${total} causes ` +
            `each answered once; reported to the error hook: ${reportedErrors()}`,
        );
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}

describeGameReactions(sqliteCluster);

describeWithPostgres('PostgreSQL', () => {
  describeGameReactions(postgresCluster);
});

describeWithRedis('Redis', () => {
  describeGameReactions(redisCluster);
});
