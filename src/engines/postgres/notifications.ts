/**
 * Live notifications through LISTEN/NOTIFY: one connection per store listens on the schema's
 * channel, whatever the number of subscribers, and hands each payload to every subscription. It
 * is opened by the first subscription and kept until the store closes.
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
 * - A listener that throws is reported to `onError` and keeps its subscription.
 */
import type { StoredEvent } from '../../events/envelope.js';
import type { EventNotification, NotificationListener, SubscribeOptions, Subscription } from '../engine.js';
import { notificationOf } from '../subscription-hub.js';
import { StoreUnavailableError } from '../../errors.js';
import { sleep, type Database, type DedicatedConnection } from './connection.js';
import { quoteIdentifier } from './identifiers.js';
import { parsePayload } from './notification-payload.js';
import { storeErrorFrom } from './postgres-errors.js';

/** How many events one catch-up read takes. */
const PAGE_SIZE = 500;
/** Notification payloads held for one subscription while it reads; beyond, it reads again instead. */
const MAX_HELD_PAYLOADS = 10_000;
const FIRST_RECONNECT_DELAY_MS = 50;
const MAX_RECONNECT_DELAY_MS = 5_000;
/** How often an idle listening connection is checked, and how long the check may take. */
const HEARTBEAT_INTERVAL_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

export interface FeedSource {
  readonly db: Database;
  readonly channel: string;
  readonly schema: string;
  readAfter(position: number, limit: number): Promise<StoredEvent[]>;
  lastPosition(): Promise<number>;
}

interface Follower {
  readonly listener: NotificationListener;
  readonly onError: ((error: unknown) => void) | undefined;
  /** The last position delivered (or the one to start after); `undefined` until known. */
  cursor: number | undefined;
  /** Notifications held while the follower reads the store; `undefined` when it is live. */
  held: EventNotification[][] | undefined;
  /** The catch-up in progress; another request while it runs sets `again`. */
  catchUp: Promise<void> | undefined;
  again: boolean;
  closed: boolean;
}

export class NotificationFeed {
  readonly #source: FeedSource;
  readonly #followers = new Set<Follower>();
  #connection: DedicatedConnection | undefined;
  #connecting: Promise<void> | undefined;
  #reconnecting = false;
  /** Removes this feed's listeners from the connection, which may go back to a user's pool. */
  #detach: () => void = () => undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(source: FeedSource) {
    this.#source = source;
  }

  async subscribe(listener: NotificationListener, options?: SubscribeOptions): Promise<Subscription> {
    const follower: Follower = {
      listener,
      onError: options?.onError,
      cursor: undefined,
      held: [],
      catchUp: undefined,
      again: false,
      closed: false,
    };
    // Registered (holding notifications) before LISTEN and before the first read: nothing that
    // commits from now on can fall between the two.
    this.#followers.add(follower);
    try {
      await this.#listen(true);
      follower.cursor = options?.after ?? (await this.#source.lastPosition());
    } catch (error) {
      this.#followers.delete(follower);
      throw error;
    }
    this.#startCatchUp(follower);
    return {
      close: async () => {
        if (follower.closed) return;
        follower.closed = true;
        this.#followers.delete(follower);
        await follower.catchUp;
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    const followers = [...this.#followers];
    this.#followers.clear();
    for (const follower of followers) follower.closed = true;
    await this.#connecting?.catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    this.#detach();
    await connection?.release(false);
    await Promise.all(followers.map((follower) => follower.catchUp));
  }

  /** Opens the listening connection unless it is open; with `retry`, under the store's retry policy. */
  async #listen(retry: boolean): Promise<void> {
    if (this.#closed)
      throw new StoreUnavailableError(`the PostgreSQL store at ${this.#source.db.target} is closed`);
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
    } catch (error) {
      await connection.release(true);
      throw error;
    }
    if (this.#closed) {
      await connection.release(false);
      throw new StoreUnavailableError(`the PostgreSQL store at ${this.#source.db.target} is closed`);
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
      if (follower.closed) continue;
      if (parsed === undefined) {
        // Not written by the append function: read the store rather than trust it.
        this.#startCatchUp(follower);
        continue;
      }
      // Each subscription gets its own objects, so that one listener changing an event cannot
      // change what another one sees.
      const notifications = handedOut ? (parsePayload(payload) as EventNotification[]) : parsed;
      handedOut = true;
      if (follower.held === undefined) {
        this.#deliver(follower, notifications);
      } else if (follower.held.length < MAX_HELD_PAYLOADS) {
        follower.held.push(notifications);
      } else {
        // Too much to hold: drop it and read the store once more after this catch-up.
        follower.held = [];
        follower.again = true;
      }
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
      follower.held ??= [];
      this.#report(follower, report);
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
            for (const follower of this.#followers) this.#report(follower, report);
            delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
          }
        }
      } finally {
        this.#reconnecting = false;
      }
      for (const follower of this.#followers) this.#startCatchUp(follower);
    })();
  }

  #startCatchUp(follower: Follower): void {
    if (follower.closed || follower.cursor === undefined) return;
    follower.held ??= [];
    if (follower.catchUp) {
      follower.again = true;
      return;
    }
    follower.catchUp = this.#catchUp(follower).finally(() => {
      follower.catchUp = undefined;
      if (follower.again && !follower.closed) {
        follower.again = false;
        this.#startCatchUp(follower);
      }
    });
  }

  async #catchUp(follower: Follower): Promise<void> {
    let delay = FIRST_RECONNECT_DELAY_MS;
    while (!follower.closed) {
      try {
        for (;;) {
          const events = await this.#source.readAfter(follower.cursor ?? 0, PAGE_SIZE);
          if (follower.closed) return;
          this.#deliver(follower, events.map(notificationOf));
          if (events.length < PAGE_SIZE) break;
        }
        // Without a connection, notifications may be missing: the reconnection reads again.
        if (follower.again || !this.#connection) return;
        const held = follower.held ?? [];
        follower.held = undefined;
        for (const notifications of held) this.#deliver(follower, notifications);
        return;
      } catch (error) {
        this.#report(follower, error);
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    }
  }

  /** Hands `notifications` above the follower's cursor to its listener, in one call. */
  #deliver(follower: Follower, notifications: readonly EventNotification[]): void {
    const cursor = follower.cursor ?? 0;
    const fresh = notifications.filter((notification) => notification.position > cursor);
    if (fresh.length === 0 || follower.closed) return;
    follower.cursor = (fresh[fresh.length - 1] as EventNotification).position;
    try {
      follower.listener(fresh);
    } catch (error) {
      this.#report(follower, error);
    }
  }

  #report(follower: Follower, error: unknown): void {
    try {
      follower.onError?.(error);
    } catch {
      // An error handler that throws has nobody left to tell.
    }
  }

  #startHeartbeat(connection: DedicatedConnection): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`the listening connection did not answer within ${HEARTBEAT_TIMEOUT_MS} ms`)),
          HEARTBEAT_TIMEOUT_MS,
        );
      });
      Promise.race([connection.client.query('SELECT 1'), timeout])
        .catch((error: unknown) => this.#lost(connection, error))
        .finally(() => clearTimeout(timer));
    }, HEARTBEAT_INTERVAL_MS);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
