/**
 * One process holding the seed's `Game` (see `test/subscriptions/game.ts`), a process manager that
 * listens for `player_died` and `player_exited` and reacts by firing `player_respawned` or
 * `player_ejected`. Its listeners start at `Load`, so it reacts as soon as it is up (`ready`), and
 * goes on until it is killed or told to finish; `go` changes nothing for it.
 *
 * A crash can be armed at an exact point of a reaction, from the start (`crash` in the config) or
 * on the `crash` command: the `appends`-th append to the game's stream from then stops this process
 * with SIGSTOP, either just before it reaches the store (`before-append`: the reaction is applied in
 * memory, nothing is stored) or just after the store took it (`after-append`: the reaction is
 * stored, and the actor and its listener never hear the answer). The worker says
 * `crashing` first; the parent waits for the stop and kills it with SIGKILL, so the process dies
 * frozen at that point rather than wherever a signal from outside happens to land. Stopping itself
 * outside any store call, it holds no SQLite write lock and no PostgreSQL transaction while stopped.
 *
 * `converge` waits until the game has applied the stream's final version, reports its state,
 * disposes it and exits (`converged`). Every failure the container's error hook hears and every
 * warning or error the library logs is reported as it happens (`error`, `log`).
 */
import { Actor, createContainer, LiveActor, type EventStore, type Logger } from '../../../src/index.js';
import { gameClass } from '../../subscriptions/game.js';
import { failOn, finish, nextCommand, report, until } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export type CrashPoint = 'before-append' | 'after-append';

export interface CrashPlan {
  readonly point: CrashPoint;
  /** Which append to the game's stream, counted from when the crash is armed (1: the next). */
  readonly appends: number;
}

export interface GameWorkerConfig {
  readonly node: string;
  readonly gameId: string;
  readonly kind: 'Actor' | 'LiveActor';
  /** A crash armed from the start, before the game is loaded. */
  readonly crash?: CrashPlan;
}

/** What an error tells the parent: its name, code and message. */
function described(error: unknown): Record<string, string> {
  const { name, code, message } = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  return { errorName: String(name), code: String(code), errorMessage: String(message) };
}

const forwardingLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, context) => report('log', { level: 'warn', message, ...described(context?.['error']) }),
  error: (message, context) => report('log', { level: 'error', message, ...described(context?.['error']) }),
};

/**
 * The shared store, reporting every append to the game's stream (`append`: the causes of the
 * reactions it carries, and the versions the store answered or the error it refused with), with a
 * crash that can be armed at the game stream's n-th append from then: this process stops just
 * before that append or just after the store took it. An append the store refuses does not count
 * for `after-append`: the next one stops it. Everything else goes straight to the store.
 */
function observed(store: EventStore, gameId: string): { store: EventStore; arm: (plan: CrashPlan) => void } {
  let armed: { point: CrashPoint; appendsLeft: number } | undefined;
  const freeze = (fields: Record<string, unknown>) => {
    report('crashing', { point: armed?.point, ...fields });
    // Synchronous: the process stops here, before anything else of it runs.
    process.kill(process.pid, 'SIGSTOP');
  };
  const appendToStream: EventStore['appendToStream'] = async (stream, events, options) => {
    if (stream !== gameId) return store.appendToStream(stream, events, options);
    const causes = events.map((event) => (event.meta as { causationId?: unknown } | undefined)?.causationId);
    const expectedVersion = options?.expectedVersion;
    let freezes: CrashPoint | undefined;
    if (armed !== undefined) {
      armed.appendsLeft = Math.max(0, armed.appendsLeft - 1);
      if (armed.appendsLeft === 0) freezes = armed.point;
    }
    if (freezes === 'before-append') freeze({ causes });
    try {
      const result = await store.appendToStream(stream, events, options);
      const versions = result.events.map((event) => event.version);
      report('append', { expectedVersion, causes, versions });
      if (freezes === 'after-append') freeze({ causes, versions });
      return result;
    } catch (error) {
      report('append', { expectedVersion, causes, ...described(error) });
      throw error;
    }
  };
  const proxy = new Proxy(store, {
    get(target, property) {
      if (property === 'appendToStream') return appendToStream;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, arm: ({ point, appends }) => (armed = { point, appendsLeft: appends }) };
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as GameWorkerConfig;
  const shared = await openSharedStore(sharedStoreOfThisProcess());
  const { store, arm } = observed(shared, config.gameId);
  if (config.crash !== undefined) arm(config.crash);
  const errors: Array<Record<string, string>> = [];
  const container = createContainer({
    store,
    logger: forwardingLogger,
    onError: (error, context) => {
      const entry = { operation: context.operation, event: String(context.event), ...described(error) };
      errors.push(entry);
      report('error', entry);
    },
  });
  const Game = gameClass(config.kind === 'Actor' ? Actor : LiveActor);
  const game = await new Game(config.gameId, container).Load();
  report('ready', { version: game.version });

  for (;;) {
    const command = await nextCommand();
    if (command.type === 'go') continue;
    if (command.type === 'crash') {
      arm({ point: command['point'] as CrashPoint, appends: command['appends'] as number });
      report('armed', {});
    } else if (command.type === 'converge') {
      const version = command['version'] as number;
      await until(
        () => game.version >= version,
        () => ({ version: game.version, wanted: version }),
      );
      const state = structuredClone(game.state);
      const reached = game.version;
      await game.Dispose();
      await shared.close();
      await finish('converged', { version: reached, state, errors });
    } else {
      throw new Error(`unexpected command "${command.type}"`);
    }
  }
});
