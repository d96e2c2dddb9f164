/**
 * Live notifications through LISTEN/NOTIFY: one connection per store listens on the schema's
 * channel, whatever the number of subscribers, and hands each payload to every subscription
 * (each a `PositionFollower`, the follower every engine shares). It is opened by the first
 * subscription and kept until the store closes, but never holds the process: once listening, its
 * socket is unreferenced, and only the store's open subscriptions keep a process alive.
 *
 * Guarantees:
 * - Every event stored after `subscribe` resolves (or after `options.after`) is delivered, in
 *   position order, each position once per subscription while the connection lives. Commit order
 *   is position order (see `append-function.ts`), so notifications arrive in position order; a
 *   subscription remembers the last position it delivered and drops anything at or below it.
 * - A subscription starts by reading the store from its cursor, holding back the notifications
 *   that arrive meanwhile, then delivers those above what it read and goes live: LISTEN is in
 *   place before the first read, so an event is either read or notified, never neither.
 * - When the listening connection is lost (killed, server restart) or stops answering the
 *   periodic check, every subscription hears of it through `onError`, holds back notifications,
 *   and the store reconnects with backoff (for as long as it has subscribers), listens again, and
 *   each subscription reads what it missed from its last position before going live again.
 * - A payload the append function did not write (someone else notifying on the channel) is not
 *   trusted: the subscriptions read the store instead.
 * - A listener that throws is reported to `onError` and keeps its subscription; a row that cannot
 *   be read during a catch-up is reported once and passed (`position-follower.ts`).
 */
import type { EventNotification, NotificationListener, Subscription } from '../engine.js';
import type { ResolvedSubscribe } from '../options.js';
import { PositionFollower, type FollowedRow } from '../position-follower.js';
import { StoreUnavailableError } from '../../errors.js';
import { sleep, type Database, type DedicatedConnection } from './connection.js';
import { startHeartbeat } from './heartbeat.js';
import { quoteIdentifier } from './identifiers.js';
import { parsePayload } from './notification-payload.js';
import { storeErrorFrom } from './postgres-errors.js';

const FIRST_RECONNECT_DELAY_MS = 50;
const MAX_RECONNECT_DELAY_MS = 5_000;
/** How often an idle listening connection is checked, and how long the check may take. */
const HEARTBEAT_INTERVAL_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

export interface FeedSource {
  readonly db: Database;
  readonly channel: string;
  readonly schema: string;
  /** Events after `position`, a row that cannot be read given as its `CorruptEventError`. */
  readAfter(position: number, limit: number): Promise<FollowedRow[]>;
  lastPosition(): Promise<number>;
}

export class NotificationFeed {
  readonly #source: FeedSource;
  readonly #followers = new Set<PositionFollower>();
  #connection: DedicatedConnection | undefined;
  #connecting: Promise<void> | undefined;
  #reconnecting = false;
  /** Removes this feed's listeners from the connection, which may go back to a user's pool. */
  #detach: () => void = () => undefined;
  #stopHeartbeatTimer: () => void = () => undefined;
  #closed = false;

  constructor(source: FeedSource) {
    this.#source = source;
  }

  async subscribe(listener: NotificationListener, options: ResolvedSubscribe): Promise<Subscription> {
    const follower = new PositionFollower({
      listener,
      onError: options.onError,
      readAfter: (position, limit) => this.#source.readAfter(position, limit),
      // Without a connection, notifications may be missing: the reconnection reads again.
      mayGoLive: () => this.#connection !== undefined,
    });
    // Registered (holding notifications) before LISTEN and before the first read: nothing that
    // commits from now on can fall between the two.
    this.#followers.add(follower);
    try {
      await this.#listen(true);
      follower.cursor = options.after ?? (await this.#source.lastPosition());
    } catch (error) {
      this.#followers.delete(follower);
      throw error;
    }
    follower.catchUp();
    return {
      close: async () => {
        if (!this.#followers.delete(follower)) return;
        await follower.close();
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    const followers = [...this.#followers];
    this.#followers.clear();
    const closing = Promise.all(followers.map((follower) => follower.close()));
    await this.#connecting?.catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    this.#detach();
    await connection?.release(false);
    await closing;
  }

  /** Opens the listening connection unless it is open; with `retry`, under the store's retry policy. */
  async #listen(retry: boolean): Promise<void> {
    if (this.#closed)
      throw new StoreUnavailableError(`the PostgreSQL store at ${this.#source.db.target} is closed`, {
        closed: true,
      });
    if (this.#connection) return;
    this.#connecting ??= (
      retry ? this.#source.db.run(() => this.#connect(), 'listen to') : this.#connect()
    ).finally(() => {
      this.#connecting = undefined;
    });
    await this.#connecting;
  }

  async #connect(): Promise<void> {
    const connection = await this.#source.db.dedicated();
    const { client } = connection;
    try {
      await client.query('SELECT pg_catalog.set_config($1, $2, false)', [
        'application_name',
        `omniscient:listen:${this.#source.schema}`.slice(0, 63),
      ]);
      await client.query(`LISTEN ${quoteIdentifier(this.#source.channel)}`);
      // From here on the connection only waits for notifications, and never holds the process.
      connection.letProcessExit();
    } catch (error) {
      await connection.release(true);
      throw error;
    }
    if (this.#closed) {
      await connection.release(false);
      throw new StoreUnavailableError(`the PostgreSQL store at ${this.#source.db.target} is closed`, {
        closed: true,
      });
    }
    const onNotification = (message: { channel: string; payload?: string | undefined }) => {
      if (this.#connection === connection && message.channel === this.#source.channel) {
        this.#onPayload(message.payload);
      }
    };
    const onError = (error: unknown) => this.#lost(connection, error);
    const onEnd = () => this.#lost(connection, new Error('the listening connection ended'));
    client.on('notification', onNotification);
    client.on('error', onError);
    client.on('end', onEnd);
    this.#detach = () => {
      client.off('notification', onNotification);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    this.#connection = connection;
    this.#startHeartbeat(connection);
  }

  #onPayload(payload: string | undefined): void {
    const parsed = parsePayload(payload);
    let handedOut = false;
    for (const follower of this.#followers) {
      if (parsed === undefined) {
        // Not written by the append function: read the store rather than trust it.
        follower.catchUp();
        continue;
      }
      // Each subscription gets its own objects, so that one listener changing an event cannot
      // change what another one sees.
      const notifications = handedOut ? (parsePayload(payload) as EventNotification[]) : parsed;
      handedOut = true;
      follower.offer(notifications);
    }
  }

  #lost(connection: DedicatedConnection, error: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#stopHeartbeat();
    this.#detach();
    void connection.release(true);
    if (this.#closed) return;
    const report = storeErrorFrom(error, this.#source.db.target, 'listen to');
    for (const follower of this.#followers) {
      follower.hold();
      follower.report(report);
    }
    this.#reconnect();
  }

  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    void (async () => {
      let delay = FIRST_RECONNECT_DELAY_MS;
      try {
        while (!this.#closed && this.#followers.size > 0 && !this.#connection) {
          await sleep(delay + Math.random() * delay);
          if (this.#closed || this.#followers.size === 0) return;
          try {
            await this.#listen(false);
          } catch (error) {
            const report = storeErrorFrom(error, this.#source.db.target, 'listen to');
            for (const follower of this.#followers) follower.report(report);
            delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
          }
        }
      } finally {
        this.#reconnecting = false;
      }
      for (const follower of this.#followers) follower.catchUp();
    })();
  }

  #startHeartbeat(connection: DedicatedConnection): void {
    this.#stopHeartbeat();
    this.#stopHeartbeatTimer = startHeartbeat({
      intervalMs: HEARTBEAT_INTERVAL_MS,
      timeoutMs: HEARTBEAT_TIMEOUT_MS,
      check: () => connection.client.query('SELECT 1'),
      onFailure: (error) => this.#lost(connection, error),
    });
  }

  #stopHeartbeat(): void {
    this.#stopHeartbeatTimer();
    this.#stopHeartbeatTimer = () => undefined;
  }
}
