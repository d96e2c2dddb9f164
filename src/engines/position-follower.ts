/**
 * One subscription of an engine that numbers its events by position and commits positions in
 * increasing order (every engine here): it keeps a cursor, reads the store after it, and hands
 * its listener what is new. The memory and SQLite engines wake it after each commit they notice;
 * PostgreSQL also pushes the notifications it is sent, which the follower holds while it reads and
 * hands over once it has caught up.
 *
 * Guarantees, the same for every engine that follows by position:
 * - Each position is delivered at most once per subscription, in position order: anything at or
 *   below the cursor is dropped.
 * - A stored row that cannot be read (`CorruptEventError`) is reported once, with its position,
 *   through `onError`, and the cursor moves past it: one bad row never stops the delivery of the
 *   events after it, in its stream or any other.
 * - A read that fails otherwise (a lost connection, a busy file) is reported and tried again, with
 *   backoff, from the same cursor, until it succeeds or the subscription closes.
 * - A listener that throws is reported through `onError` and keeps its subscription; the hook
 *   itself is guarded by `resolveSubscribe`, so nothing a caller supplies can stop the loop.
 */
import { CorruptEventError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import type { EventNotification, NotificationListener } from './engine.js';

/** A row read while following: the event, or why it could not be read. */
export type FollowedRow = StoredEvent | CorruptEventError;

/** How many events one read of a catch-up takes. */
export const FOLLOW_PAGE_SIZE = 500;
/** Notification batches held while a follower reads; beyond, it drops them and reads again. */
const MAX_HELD_BATCHES = 10_000;
const FIRST_RETRY_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 5_000;

export interface FollowerOptions {
  readonly listener: NotificationListener;
  /** Guarded: never throws (see `resolveSubscribe`). */
  readonly onError: (error: unknown) => void;
  /** Events after `position` in position order, at most `limit`; see `decodeLeniently`. */
  readonly readAfter: (position: number, limit: number) => Promise<readonly FollowedRow[]>;
  /**
   * Whether a catch-up that reached the end may hand over what it held and go live (default: yes).
   * PostgreSQL says no while it has no listening connection: notifications may be missing, and the
   * reconnection reads again.
   */
  readonly mayGoLive?: () => boolean;
}

export class PositionFollower {
  /** The last position delivered or skipped (or the one to start after); `undefined` until known. */
  cursor: number | undefined;
  #closed = false;
  readonly #options: FollowerOptions;
  /** Notifications pushed while catching up; `undefined` when live. */
  #held: (readonly EventNotification[])[] | undefined = [];
  #running: Promise<void> | undefined;
  #again = false;
  #pause: { timer: NodeJS.Timeout; resume: () => void } | undefined;

  constructor(options: FollowerOptions, cursor?: number) {
    this.#options = options;
    this.cursor = cursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reads everything after the cursor; a request while a read runs makes it read once more. */
  catchUp(): void {
    if (this.#closed || this.cursor === undefined) return;
    this.#held ??= [];
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#catchUp().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.catchUp();
      }
    });
  }

  /** Notifications pushed by the engine: delivered when live, held while catching up. */
  offer(notifications: readonly EventNotification[]): void {
    if (this.#closed) return;
    if (this.#held === undefined) this.deliver(notifications);
    else if (this.#held.length < MAX_HELD_BATCHES) this.#held.push(notifications);
    else {
      // Too much to hold: drop it and read the store once more after this catch-up.
      this.#held = [];
      this.#again = true;
    }
  }

  /** Stops going live until the next catch-up (the push channel was lost). */
  hold(): void {
    this.#held ??= [];
  }

  /** Hands `notifications` above the cursor to the listener, in one call. */
  deliver(notifications: readonly EventNotification[]): void {
    const cursor = this.cursor ?? 0;
    const fresh = notifications.filter((notification) => notification.position > cursor);
    if (fresh.length === 0 || this.#closed) return;
    this.cursor = (fresh[fresh.length - 1] as EventNotification).position;
    try {
      this.#options.listener(fresh);
    } catch (error) {
      this.report(error);
    }
  }

  report(error: unknown): void {
    this.#options.onError(error);
  }

  /** Stops the deliveries; resolves once none is in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pause) {
      clearTimeout(this.#pause.timer);
      this.#pause.resume();
    }
    await this.#running;
  }

  async #catchUp(): Promise<void> {
    let delay = FIRST_RETRY_DELAY_MS;
    while (!this.#closed) {
      try {
        await this.#readToEnd();
        if (this.#closed || this.#again || !(this.#options.mayGoLive?.() ?? true)) return;
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const notifications of held) this.deliver(notifications);
        return;
      } catch (error) {
        this.report(error);
        await this.#wait(delay + Math.random() * delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }

  async #readToEnd(): Promise<void> {
    for (;;) {
      const rows = await this.#options.readAfter(this.cursor ?? 0, FOLLOW_PAGE_SIZE);
      if (this.#closed) return;
      this.#take(rows);
      if (rows.length < FOLLOW_PAGE_SIZE) return;
    }
  }

  #take(rows: readonly FollowedRow[]): void {
    let notifications: EventNotification[] = [];
    for (const row of rows) {
      if (!(row instanceof CorruptEventError)) {
        notifications.push(notificationOf(row));
        continue;
      }
      this.deliver(notifications);
      notifications = [];
      this.#skip(row);
    }
    this.deliver(notifications);
  }

  /** Reports a row that cannot be read, once, and moves past it. */
  #skip(error: CorruptEventError): void {
    const position = error.where.position;
    // Without a position the row cannot be passed: the read fails, and is reported and retried.
    if (position === undefined) throw error;
    if (position <= (this.cursor ?? 0)) return;
    this.cursor = position;
    this.report(error);
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const resume = () => {
        this.#pause = undefined;
        resolve();
      };
      this.#pause = { timer: setTimeout(resume, ms), resume };
    });
  }
}

export function notificationOf(event: StoredEvent): EventNotification {
  return { stream: event.stream, version: event.version, position: event.position, name: event.name, event };
}

/**
 * Decodes rows one by one for a follower: a row that is not an event becomes its
 * `CorruptEventError`, in its place, instead of failing the whole page.
 */
export function decodeLeniently<Row>(rows: readonly Row[], decode: (row: Row) => StoredEvent): FollowedRow[] {
  return rows.map((row) => {
    try {
      return decode(row);
    } catch (error) {
      if (error instanceof CorruptEventError) return error;
      throw error;
    }
  });
}
