/**
 * How the Redis engine talks to the server: `ioredis` (an optional peer dependency, loaded on the
 * first `redisStore(...)`), a command connection, the two scripts by their SHA1 (`EVALSHA`, loaded
 * again with `EVAL` after a server restart emptied its script cache), and the retry rule.
 *
 * The retry rule: a call that finds no connection (the server is down or restarting, or the
 * connection was lost) is tried again with backoff for up to `connectionRetryMs`, then rejects
 * with `StoreUnavailableError`. The store's own connection never queues a command while it is
 * disconnected (`enableOfflineQueue: false`), so a call that gave up was never sent; a command in
 * flight when the connection broke is sent again once it is back (ioredis does so), which every
 * call of this engine allows: an append carries its event ids and answers a second run as a retry,
 * and the lease and snapshot calls give the same result twice. A script runs whole or not at all.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { messageOf, OmniscientError, StoreUnavailableError, UsageError } from '../../errors.js';

export type RedisClient = Redis | Cluster;
type IoRedisModule = typeof import('ioredis');

const DRIVER = 'ioredis';
const requireFromHere = createRequire(import.meta.url);
let loaded: IoRedisModule | undefined;

export function loadRedisDriver(): IoRedisModule {
  if (loaded !== undefined) return loaded;
  try {
    loaded = requireFromHere(DRIVER) as IoRedisModule;
    return loaded;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    const missing =
      code === 'MODULE_NOT_FOUND' &&
      typeof message === 'string' &&
      message.startsWith(`Cannot find module '${DRIVER}'`);
    if (!missing) throw error;
    throw new UsageError(
      `the Redis store needs the "${DRIVER}" package, which is not installed: run \`npm install ${DRIVER}\` in your application`,
      { cause: error },
    );
  }
}

/**
 * The name a store's connection shows in `CLIENT LIST` (`omniscient:<prefix>`, and
 * `omniscient:notify:<prefix>` for notifications), with what a name may not hold replaced.
 */
export function connectionName(prefix: string, role: 'command' | 'notify'): string {
  const safe = prefix.replace(/[^\x21-\x7e]/g, '_');
  return role === 'command' ? `omniscient:${safe}` : `omniscient:notify:${safe}`;
}

/**
 * The options of a connection the store makes and owns. `commandTimeout` bounds a call on a
 * connection that went silent (a network cut that closes nothing): it rejects, and the call is
 * retried until `connectionRetryMs` like any lost connection. While no call is in flight, a lost
 * connection is not reopened in the background (a store that cannot reach its server must not
 * hold the process); the next call opens it again.
 */
export function ownConnectionOptions(name: string, commandTimeoutMs: number): RedisOptions {
  return {
    connectionName: name,
    ...(commandTimeoutMs > 0 ? { commandTimeout: commandTimeoutMs } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    // Calls are retried by the store (`withRetry`), within its own deadline.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt: number) =>
      inFlight.busy ? Math.min(50 * 2 ** Math.min(attempt, 5), 1000) : null,
    // The store's connections never keep a process alive: open subscriptions do (`process-hold.ts`).
    keepAlive: 10_000,
  };
}

/** Lets the process exit while only this connection is open (see `process-hold.ts`). */
export function neverHoldTheProcess(client: Redis): void {
  const unref = () => (client as unknown as { stream?: { unref?: () => void } }).stream?.unref?.();
  client.on('connect', unref);
  unref();
}

/** Failures after which the same call may succeed: the connection is missing, broke, or the server is loading. */
export function isTransient(error: unknown): boolean {
  const text = messageOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(
      code,
    )
  ) {
    return true;
  }
  return (
    /Stream isn't writeable|Connection is closed|enableOfflineQueue|Reached the max retries|MaxRetriesPerRequest|connect ECONNREFUSED|Command timed out/i.test(
      text,
    ) || /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/.test(text)
  );
}

export interface CallSettings {
  /** How the store names itself in messages. */
  readonly title: string;
  readonly connectionRetryMs: number;
  /** Set once the store is closed: calls stop retrying. */
  readonly closed: () => boolean;
  /** Why the connection last failed to open (a refused login, say), until it opens again. */
  readonly connectionTrouble: () => unknown;
  /** Opens the store's own connection again if it was left closed while idle. */
  readonly reopen: () => void;
}

/** A connection refused for a reason that waiting will not change: the login or the user's rights. */
export function isRefusedLogin(error: unknown): boolean {
  return /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|AUTH.*without any password/i.test(messageOf(error));
}

/**
 * Keeps the process alive while a call is in flight. The store's sockets never hold the process
 * (`neverHoldTheProcess`), so without this a program awaiting its first call at the top level,
 * while the connection opens, would see Node exit under it.
 */
class CallsInFlight {
  #count = 0;
  #timer: NodeJS.Timeout | undefined;

  enter(): void {
    this.#count++;
    this.#timer ??= setInterval(() => undefined, 60 * 60 * 1000);
  }

  get busy(): boolean {
    return this.#count > 0;
  }

  leave(): void {
    this.#count = Math.max(0, this.#count - 1);
    if (this.#count > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

const inFlight = new CallsInFlight();

/** Runs `call`, again while it fails for want of a connection, up to the deadline; errors typed. */
export async function withRetry<T>(settings: CallSettings, call: () => Promise<T>): Promise<T> {
  inFlight.enter();
  try {
    return await retrying(settings, call);
  } finally {
    inFlight.leave();
  }
}

async function retrying<T>(settings: CallSettings, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + settings.connectionRetryMs;
  for (let attempt = 0; ; attempt++) {
    settings.reopen();
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error)) throw typedError(settings.title, error);
      const trouble = settings.connectionTrouble();
      if (trouble !== undefined && isRefusedLogin(trouble)) {
        throw new StoreUnavailableError(`${settings.title} refused the connection: ${messageOf(trouble)}`, {
          cause: trouble,
        });
      }
      if (settings.closed() || Date.now() >= deadline) {
        throw new StoreUnavailableError(`${settings.title} cannot be reached: ${messageOf(error)}`, {
          cause: error,
        });
      }
      const wait = Math.min(25 * 2 ** attempt, 500, Math.max(1, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** What the server answers that is not a passing failure: typed, with what to do where known. */
export function typedError(title: string, error: unknown): Error {
  // The store's own errors (a corrupt record, a refusal) are already what the caller should see.
  if (error instanceof OmniscientError) return error;
  const text = messageOf(error);
  if (/^NOPERM\b/.test(text)) {
    return new StoreUnavailableError(
      `${title} refused a command its user may not run (${text}): the store needs scripting (EVALSHA, EVAL, SCRIPT LOAD), the commands on its keys and PUBLISH and SUBSCRIBE on its channel; grant them with ACL SETUSER … ~{prefix}:* &{prefix}:* +@scripting +@read +@write +publish +subscribe`,
      { cause: error },
    );
  }
  if (/^NOSCRIPT\b/.test(text) || /unknown command .*(evalsha|script)/i.test(text)) {
    return new StoreUnavailableError(
      `${title} cannot run Lua scripts (${text}), which every call of the store needs`,
      { cause: error },
    );
  }
  if (/^OOM\b/.test(text)) {
    return new StoreUnavailableError(
      `${title} is out of memory (${text}): nothing was written; raise maxmemory, or use a noeviction policy with room`,
      { cause: error },
    );
  }
  return new StoreUnavailableError(`${title} failed: ${text}`, { cause: error });
}

/** A Lua script, run by its SHA1 and sent whole only when the server does not know it yet. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    try {
      // One array, not spread: a batch of thousands of events is more arguments than a call takes.
      return await (client.evalsha as (...args: unknown[]) => Promise<unknown>)(
        ([this.sha, keys.length] as (string | number | Buffer)[]).concat(keys, args),
      );
    } catch (error) {
      if (!/^NOSCRIPT\b/.test(messageOf(error))) throw error;
      // A server restarted (or flushed its scripts) since the script was loaded: EVAL loads it again.
      return (client.eval as (...args: unknown[]) => Promise<unknown>)(
        ([this.source, keys.length] as (string | number | Buffer)[]).concat(keys, args),
      );
    }
  }
}

/** How long a closing connection may take to say goodbye before it is cut. */
const QUIT_WAIT_MS = 1000;

/**
 * Closes a connection and resolves once it has ended: QUIT when it can be sent, cut when it cannot
 * (a connection that is reconnecting may never get to send it), and never waiting without end.
 */
export async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<void>((resolve) => connection.once('end', () => resolve()));
  if (!(await settlesWithin(connection.quit(), QUIT_WAIT_MS))) connection.disconnect();
  if (!(await settlesWithin(ended, QUIT_WAIT_MS))) connection.disconnect();
}

/**
 * Whether `promise` fulfils within `ms`. Its timer holds the process (the sockets do not), so a
 * program awaiting `close()` is not ended under it, and it is cleared as soon as the race is decided.
 */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([
    promise.then(
      () => true,
      () => false,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}
