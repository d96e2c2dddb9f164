/**
 * The store's connections to the server: a `pg` pool (its own, made from a connection string, or
 * one the user gives), every query through it read as raw text, and one policy for failures.
 *
 * Guarantees:
 * - Every value comes back as the server's text (or `null`), parsed by the engine itself: the
 *   engine registers no type parser and is not changed by those a user registered on `pg`, so a
 *   user's pool stays theirs.
 * - A call that fails because the connection was lost or refused, or because the server rolled it
 *   back (deadlock, serialization failure), is made again with backoff for up to
 *   `connectionRetryMs`; only then, or at once for a failure that will not go away (a wrong
 *   password, an unknown user or database), does it reject, always with `StoreUnavailableError`.
 *   Every call the engine makes this way is safe to repeat: reads, upserts, and appends whose
 *   events carry their ids.
 * - A refused connection (nothing listens at the host and port) is retried only once the store
 *   has reached its server: then it is a restart, which passes. Before that it is almost always a
 *   wrong address, and waiting would only hide it, so `ready()` and the first calls reject at once.
 *   A server that is starting (SQLSTATE 57P03) is waited for either way.
 * - A user's pool is never ended, and a connection taken from it for notifications goes back to it
 *   clean (no channel still listened to).
 */
import type pg from 'pg';
import { StoreUnavailableError, UsageError } from '../../errors.js';
import { describeValue } from '../describe-value.js';
import type { PgDriver } from './driver.js';
import { isRefusedConnection, isTransient, sqlState, storeErrorFrom } from './postgres-errors.js';

/** Where the store's connections come from. */
export type PostgresConnection =
  | {
      /** A libpq connection string, e.g. `postgres://user:secret@db.example.com:5432/app`. */
      connectionString: string;
      /** The most connections the store's own pool opens (default 10). */
      poolSize?: number;
    }
  | {
      /**
       * A pool the caller made and keeps: the store never ends it. Give it an `'error'` listener, as
       * `pg` asks of every pool, so that a server restart does not crash the process. Once the
       * store has a subscriber, it holds one of the pool's connections for LISTEN until it closes,
       * so such a pool needs room for at least one more: a pool with `max` below 2 is refused
       * with `UsageError`.
       */
      pool: pg.Pool;
    };

/** A row of a query, each column as the server's text, `null` for SQL NULL. */
export type TextRow = readonly (string | null)[];

export interface Statement {
  /** Prepared once per connection under this name. */
  readonly name?: string;
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** A connection held apart from the pool's turns, for LISTEN. */
export interface DedicatedConnection {
  readonly client: pg.ClientBase;
  /**
   * Lets the process exit while the connection idles: its socket no longer holds the event loop
   * (the store's open subscriptions do, see `process-hold.ts`). Only for a connection that waits:
   * a query sent on it afterwards does not keep the process alive either.
   */
  letProcessExit(): void;
  /** Gives the connection up: closed, or handed back clean to the user's pool. */
  release(broken: boolean): Promise<void>;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECTION_RETRY_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
const FIRST_RETRY_DELAY_MS = 25;
const MAX_RETRY_DELAY_MS = 1_000;

// Every column as text: a parser returning its input.
const RAW_TEXT = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

export class Database {
  /** The server as `user@host:port/database`, for messages: never the password. */
  readonly target: string;
  readonly #driver: PgDriver;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  readonly #retryMs: number;
  #ended = false;
  /** Whether any call has reached the server: from then on, a refused connection is a restart. */
  #reached = false;

  constructor(driver: PgDriver, connection: PostgresConnection, retryMs: number) {
    this.#driver = driver;
    if (typeof connection !== 'object' || connection === null) {
      throw new UsageError('postgresStore needs { connectionString } or { pool } as its first argument');
    }
    if ('pool' in connection && connection.pool !== undefined) {
      const pool = connection.pool;
      if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function') {
        throw new UsageError('pool must be a pg.Pool');
      }
      refuseSingleConnection(pool);
      this.#pool = pool;
      this.#ownsPool = false;
      this.#clientConfig = (pool as unknown as { options?: pg.ClientConfig }).options ?? {};
    } else {
      const { connectionString, poolSize = DEFAULT_POOL_SIZE } = connection as {
        connectionString?: unknown;
        poolSize?: unknown;
      };
      if (typeof connectionString !== 'string' || connectionString === '') {
        throw new UsageError('connectionString must be a non-empty string');
      }
      if (typeof poolSize !== 'number' || !Number.isSafeInteger(poolSize) || poolSize < 1) {
        throw new UsageError(`poolSize must be a whole number >= 1, got ${describeValue(poolSize)}`);
      }
      this.#clientConfig = {
        connectionString,
        application_name: 'omniscient',
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        keepAlive: true,
      };
      // Idle connections never keep the process alive: open subscriptions do (`process-hold.ts`).
      this.#pool = new this.#driver.Pool({ ...this.#clientConfig, max: poolSize, allowExitOnIdle: true });
      // An idle connection broken by a server restart is dropped by the pool; the next call opens a
      // new one. Without a listener, Node would treat the pool's 'error' event as a crash.
      this.#pool.on('error', () => undefined);
      this.#ownsPool = true;
    }
    this.#retryMs = retryMs;
    this.target = describeTarget(this.#driver, this.#clientConfig);
  }

  /** Runs `statement` and returns its rows as text. */
  async query(statement: Statement, doing?: string): Promise<TextRow[]> {
    return this.run(async () => {
      return queryText(this.#pool, statement);
    }, doing);
  }

  /**
   * Runs `statement` as `query` does, on one connection of the pool, calling `onNotice` with each
   * notice the server sends while it runs (before the answer, for a statement that raises one).
   */
  async queryNoticing(
    statement: Statement,
    onNotice: (notice: { readonly code?: string }) => void,
    doing?: string,
  ): Promise<TextRow[]> {
    return this.run(async () => {
      const client = await this.#pool.connect();
      let broken = false;
      const onError = () => (broken = true);
      client.on('error', onError);
      client.on('notice', onNotice);
      try {
        return await queryText(client, statement);
      } catch (error) {
        // A statement the server refused leaves the connection usable; anything else may not.
        broken = sqlState(error) === undefined || isTransient(error);
        throw error;
      } finally {
        client.off('notice', onNotice);
        releaseGuarded(client, onError, broken);
      }
    }, doing);
  }

  /** Runs `work` on one connection of the pool (for a transaction), under the retry policy. */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>, doing?: string): Promise<T> {
    return this.run(async () => {
      const client = await this.#pool.connect();
      let broken = false;
      const onError = () => (broken = true);
      client.on('error', onError);
      try {
        return await work(client);
      } catch (error) {
        broken = true;
        throw error;
      } finally {
        // A connection that failed mid-transaction is closed rather than handed to the next caller.
        releaseGuarded(client, onError, broken);
      }
    }, doing);
  }

  /**
   * Runs `work`, again and again while it fails for a reason that may pass, for up to the retry
   * window; rejects with `StoreUnavailableError`.
   */
  async run<T>(work: () => Promise<T>, doing = 'use'): Promise<T> {
    const deadline = Date.now() + this.#retryMs;
    let delay = FIRST_RETRY_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      if (this.#ended)
        throw new StoreUnavailableError(`the PostgreSQL store at ${this.target} is closed`, { closed: true });
      try {
        const result = await work();
        this.#reached = true;
        return result;
      } catch (error) {
        if (this.#ended || !this.#worthRetrying(error) || Date.now() + delay > deadline) {
          const mapped = storeErrorFrom(error, this.target, doing);
          if (attempt > 1 && mapped instanceof StoreUnavailableError) {
            throw new StoreUnavailableError(`${mapped.message} (after ${attempt} attempts)`, {
              cause: mapped.cause,
            });
          }
          throw mapped;
        }
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }

  #worthRetrying(error: unknown): boolean {
    return isTransient(error) && (this.#reached || !isRefusedConnection(error));
  }

  /** Opens a connection kept apart from the pool's turns (for LISTEN). */
  async dedicated(): Promise<DedicatedConnection> {
    if (this.#ownsPool) {
      const client = new this.#driver.Client(this.#clientConfig);
      // Until its owner listens, a connection error must not crash the process.
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        void client.end().catch(() => undefined);
        throw error;
      }
      return {
        client,
        letProcessExit: () => holdsProcess(client, false),
        release: async () => {
          // A broken connection may never answer the goodbye: do not wait for it.
          void client.end().catch(() => undefined);
        },
      };
    }
    const client = await this.#pool.connect();
    const ignore = () => undefined;
    client.on('error', ignore);
    return {
      client,
      letProcessExit: () => holdsProcess(client, false),
      release: async (broken) => {
        // The pool's own setting decides again whether its idle connections hold the process.
        holdsProcess(client, true);
        if (!broken) {
          try {
            await client.query('UNLISTEN *');
            await client.query('RESET application_name');
          } catch {
            broken = true;
          }
        }
        // A healthy connection goes back to the pool as it came; a broken one keeps the guard
        // while the pool closes it.
        if (!broken) client.off('error', ignore);
        client.release(broken);
      },
    };
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#ownsPool) await this.#pool.end();
  }
}

/**
 * Gives a checked-out connection back. While it was out, an error the server sent between two of
 * its statements (the connection terminated by an administrator or a restart) came as an `'error'`
 * event, which the pool listens for only on idle connections: `onError` kept it from crashing the
 * process, and stays on a broken connection while the pool closes it.
 */
function releaseGuarded(client: pg.PoolClient, onError: () => void, broken: boolean): void {
  if (!broken) client.off('error', onError);
  client.release(broken);
}

/** `pg` clients have `ref()` and `unref()` (what the pool's `allowExitOnIdle` uses); its types omit them. */
function holdsProcess(client: pg.ClientBase, holds: boolean): void {
  const socketOwner = client as unknown as { ref?: () => void; unref?: () => void };
  (holds ? socketOwner.ref : socketOwner.unref)?.call(client);
}

/**
 * A pool of one connection cannot serve a store that subscribes: the listening connection would
 * take the only slot, and every query would wait for it forever. Refused at once, with the fix.
 */
function refuseSingleConnection(pool: pg.Pool): void {
  const max = (pool as unknown as { options?: { max?: unknown } }).options?.max;
  if (typeof max === 'number' && max < 2) {
    throw new UsageError(
      `the pool given to postgresStore allows ${max} connection(s), but the store needs at least 2 ` +
        '(one listens for notifications while the others query): give it a pg.Pool with max >= 2, ' +
        'or a { connectionString } so that it opens its own pool',
    );
  }
}

/** Runs `statement` on `queryable` (a pool or a connection) and returns its rows as text. */
export async function queryText(
  queryable: pg.Pool | pg.ClientBase,
  statement: Statement,
): Promise<TextRow[]> {
  const result = await queryable.query({
    ...(statement.name === undefined ? {} : { name: statement.name }),
    text: statement.text,
    values: statement.values as unknown[] | undefined,
    rowMode: 'array',
    types: RAW_TEXT,
  });
  return result.rows as TextRow[];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeTarget(driver: PgDriver, config: pg.ClientConfig): string {
  try {
    // A client that is never connected only resolves the settings (URL, environment, defaults).
    const settings = new driver.Client(config) as unknown as {
      user?: string;
      host?: string;
      port?: number;
      database?: string;
    };
    return `${settings.user ?? '?'}@${settings.host ?? '?'}:${settings.port ?? '?'}/${settings.database ?? '?'}`;
  } catch {
    return 'the configured server';
  }
}
