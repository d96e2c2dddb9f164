/**
 * Follows one ordered source of stored events for one listener — one stream in version order
 * (`ListenTo`), or every event of one name in position order (`ListenFor`) — from a cursor, and
 * hands each event to an asynchronous handler, one at a time, each once.
 *
 * It reads the store from its cursor page by page (catching up), then takes the live notifications
 * the process's one engine subscription delivers (the live feed's tap), and goes back to reading
 * whenever a notification does not carry its event, a stream shows a gap, or the listener falls
 * too far behind to hold what arrives. The tap is joined before the first read, so nothing stored
 * in between falls through: what both deliver is dropped by the cursor.
 *
 * Guarantees:
 * - the handler sees events in the source's order, one at a time: the next only after the
 *   previous one's handling settled; the cursor moves past an event once it was handled;
 * - a handling that asks to be retried (`RetryLater`) is retried for the same event, with backoff,
 *   until it succeeds or the follower closes; nothing after it is handled meanwhile;
 * - a read that fails is reported and tried again, with backoff, from the same cursor; a stored
 *   row that cannot be read is reported once and passed over (as the engine's own subscriptions
 *   do), so one damaged row never stops the events after it;
 * - `close()` stops it and resolves once no handling is in progress.
 */
import type { EventNotification } from '../engines/engine.js';
import { CorruptEventError, StoreUnavailableError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { copyOfEvent } from '../events/event-copy.js';
import type { LiveFeed, LiveWatch } from '../live/live-feed.js';

/** An ordered source of events, and how to recognise its notifications. */
export interface FollowedSource {
  /** Up to `limit` events after `cursor`, in order. */
  read(cursor: number, limit: number): Promise<readonly StoredEvent[]>;
  /** The event's place in the order: its version (one stream) or position (across streams). */
  placeOf(event: StoredEvent): number;
  /** Whether a notification is of this source. */
  matches(notification: EventNotification): boolean;
  /** Whether a read event is handed over; the others are passed by (the cursor moves past them). */
  accepts(event: StoredEvent): boolean;
  /** Places follow each other with no gap (versions), so a missing one can be seen. */
  readonly dense: boolean;
}

/** Thrown by a handler to have the same event handled again after a pause. */
export class RetryLater extends Error {
  constructor(readonly reason: unknown) {
    super('retry later');
  }
}

/** How many events one read takes. */
const READ_PAGE_SIZE = 1000;
/** Live events held while the handler is busy; beyond, they are dropped and read again later. */
const MAX_HELD_EVENTS = 10_000;
const FIRST_RETRY_MS = 20;
const LONGEST_RETRY_MS = 5_000;

export interface FollowerOptions {
  readonly feed: LiveFeed;
  readonly source: FollowedSource;
  /** The place of the last event already handled; the follower starts after it. */
  readonly cursor: number;
  /** Handles one event: synchronously (returning nothing), or once the promise it returns settles. */
  readonly handle: (event: StoredEvent) => Promise<void> | undefined;
  /** Hears what the follower recovers from by itself: failed reads, damaged rows. Never throws. */
  readonly onError: (error: unknown) => void;
}

export class EventFollower {
  readonly #options: FollowerOptions;
  #cursor: number;
  #held: StoredEvent[] = [];
  /** Something may be in the store that the held events do not show: read before taking them. */
  #mustRead = true;
  #closed = false;
  #watch: LiveWatch | undefined;
  #wake: (() => void) | undefined;
  #pause: { timer: NodeJS.Timeout; resume: () => void } | undefined;
  /** Waiting for the follower to have handled all it knows of and to wait for more. */
  #idleWaiters: Array<() => void> = [];
  /** How many events the follower handed over: a settle that handled none is final. */
  #handled = 0;
  readonly #running: Promise<void>;

  constructor(options: FollowerOptions) {
    this.#options = options;
    this.#cursor = options.cursor;
    this.#running = this.#run();
  }

  /** The place of the last event handled. */
  get cursor(): number {
    return this.#cursor;
  }

  /**
   * Resolves once every event stored before the call (and whatever the handling of those stored in
   * turn) is handled and the follower waits for more; at once if it is closed. For stories, which
   * judge what an actor did only once its listeners are done.
   */
  async settled(): Promise<void> {
    for (;;) {
      const before = this.#handled;
      await new Promise<void>((resolve) => {
        if (this.#closed) return resolve();
        this.#idleWaiters.push(resolve);
        this.#mustRead = true;
        this.#wake?.();
      });
      if (this.#closed || this.#handled === before) return;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#resolveIdle();
    this.#watch?.close();
    this.#watch = undefined;
    this.#wake?.();
    if (this.#pause !== undefined) {
      clearTimeout(this.#pause.timer);
      this.#pause.resume();
    }
    await this.#running;
  }

  async #run(): Promise<void> {
    await this.#join();
    let delay = FIRST_RETRY_MS;
    while (!this.#closed) {
      try {
        if (this.#mustRead) await this.#readToEnd();
        else if (!(await this.#takeHeld())) await this.#nextNotification();
        delay = FIRST_RETRY_MS;
      } catch (error) {
        if (this.#closed) return;
        const reason = error instanceof RetryLater ? error.reason : error;
        this.#report(reason);
        // A store closed by its owner never answers again: following it is over.
        if (reason instanceof StoreUnavailableError && reason.closed) return;
        this.#mustRead = true;
        await this.#wait(delay + Math.random() * delay);
        delay = Math.min(LONGEST_RETRY_MS, delay * 2);
      }
    }
  }

  /** Joins the live feed's tap, trying again while the store cannot be subscribed to. */
  async #join(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.#closed) {
      try {
        const watch = await this.#options.feed.tap((notifications) => this.#onNotifications(notifications));
        if (this.#closed) watch.close();
        else this.#watch = watch;
        return;
      } catch (error) {
        this.#report(error);
        if (error instanceof StoreUnavailableError && error.closed) return;
        await this.#wait(delay + Math.random() * delay);
        delay = Math.min(LONGEST_RETRY_MS, delay * 2);
      }
    }
  }

  #onNotifications(notifications: readonly EventNotification[]): void {
    if (this.#closed) return;
    const { source } = this.#options;
    let woken = false;
    for (const notification of notifications) {
      if (!source.matches(notification)) continue;
      woken = true;
      if (notification.event === undefined) this.#mustRead = true;
      // Its own copy: the same object reaches the stream's live actors, whose handlers may change it.
      else if (this.#held.length < MAX_HELD_EVENTS) this.#held.push(copyOfEvent(notification.event));
      else {
        this.#held = [];
        this.#mustRead = true;
      }
    }
    if (woken) this.#wake?.();
  }

  async #readToEnd(): Promise<void> {
    // Cleared first: a notification arriving during the read that needs another one sets it again.
    this.#mustRead = false;
    const { source } = this.#options;
    // After a damaged row, one event per read: the row must be the first after the cursor to be
    // passed over exactly, without passing over the good events before it.
    let pageSize = READ_PAGE_SIZE;
    while (!this.#closed) {
      let events: readonly StoredEvent[];
      try {
        events = await source.read(this.#cursor, pageSize);
      } catch (error) {
        if (!(error instanceof CorruptEventError)) throw error;
        if (pageSize > 1) pageSize = 1;
        else if (this.#passOver(error)) pageSize = READ_PAGE_SIZE;
        else throw error;
        continue;
      }
      for (const event of events) {
        if (this.#closed) return;
        const handling = this.#handle(event);
        if (handling !== undefined) await handling;
      }
      if (events.length < pageSize) return;
    }
  }

  /** Handles the held live events in order; false when there were none to take. */
  async #takeHeld(): Promise<boolean> {
    if (this.#held.length === 0) return false;
    const { source } = this.#options;
    while (this.#held.length > 0 && !this.#closed && !this.#mustRead) {
      const event = this.#held[0] as StoredEvent;
      const place = source.placeOf(event);
      if (place <= this.#cursor) {
        this.#held.shift();
        continue;
      }
      if (source.dense && place !== this.#cursor + 1) {
        // A gap: the missing events are in the store.
        this.#mustRead = true;
        return true;
      }
      const handling = this.#handle(event);
      if (handling !== undefined) await handling;
      this.#held.shift();
    }
    return true;
  }

  /** Hands the event over (unless already handled); the cursor moves past it once it is handled. */
  #handle(event: StoredEvent): Promise<void> | undefined {
    const place = this.#options.source.placeOf(event);
    if (place <= this.#cursor) return undefined;
    const accepted = this.#options.source.accepts(event);
    const handling = accepted ? this.#options.handle(event) : undefined;
    if (accepted) this.#handled++;
    if (handling === undefined) {
      this.#cursor = place;
      return undefined;
    }
    return handling.then(() => {
      this.#cursor = place;
    });
  }

  /** A damaged row with a known place is reported once and passed over; false if it cannot be. */
  #passOver(error: CorruptEventError): boolean {
    const place = this.#options.source.dense ? error.where.version : error.where.position;
    if (place === undefined || place <= this.#cursor) return false;
    this.#report(error);
    this.#cursor = place;
    return true;
  }

  #resolveIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #nextNotification(): Promise<void> {
    if (!this.#mustRead && this.#held.length === 0) this.#resolveIdle();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
      if (this.#closed || this.#held.length > 0 || this.#mustRead) this.#wake();
    });
  }

  #report(error: unknown): void {
    try {
      this.#options.onError(error);
    } catch {
      // The hook is the caller's; nothing it does may stop the follower.
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const resume = () => {
        this.#pause = undefined;
        resolve();
      };
      this.#pause = { timer: setTimeout(resume, ms), resume };
      this.#pause.timer.unref?.();
    });
  }
}
