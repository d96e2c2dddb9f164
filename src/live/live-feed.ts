/**
 * The live feed: turns a store's notifications into events in version order, per stream, for
 * every consumer in this process. One feed per store, so a process holds one engine subscription
 * (one connection, one poller) however many live actors it has.
 *
 * For each consumer it buffers what arrives early, drops what it already has, reads the store
 * for notifications that do not carry their event, and, when a gap stays open longer than a short
 * wait, reads the missing versions from the store. A consumer that starts watching also reads
 * what was stored between its own last read and the moment it joined, so nothing falls between.
 */
import type { Logger } from '../container.js';
import type { EventNotification, EventStore, Subscription } from '../engines/engine.js';
import { CorruptEventError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { copyOfEvent } from '../events/event-copy.js';
import { StreamOrder } from './stream-order.js';

/** How long a gap may stay open before the feed reads the missing versions from the store. */
export const DEFAULT_GAP_WAIT_MS = 25;
/** How many events one read of a stream takes. */
const READ_PAGE_SIZE = 1000;

export type LiveListener = (events: readonly StoredEvent[]) => void;

/** Hears every notification of the store, whatever the stream, in the order the engine delivers them. */
export type NotificationTap = (notifications: readonly EventNotification[]) => void;

export interface LiveWatch {
  /** Stops the deliveries to this consumer. */
  close(): void;
}

interface Consumer {
  readonly stream: string;
  readonly order: StreamOrder;
  readonly listener: LiveListener;
  closed: boolean;
  /** A read from the store in progress, so that reads for one consumer never overlap. */
  reading: Promise<void> | undefined;
  /**
   * The read that follows the one in progress, asked for while it ran: the read in progress may
   * have taken its view of the stream before the event that prompted the request was stored.
   * Every request made meanwhile shares it.
   */
  nextRead: Promise<void> | undefined;
  gapTimer: NodeJS.Timeout | undefined;
  /** A read that failed is tried again after this pause, growing while it keeps failing. */
  retryTimer: NodeJS.Timeout | undefined;
  retryDelayMs: number;
}

/** The first and the longest pause before a failed read is tried again. */
const FIRST_RETRY_MS = 20;
const LONGEST_RETRY_MS = 5000;

const feeds = new WeakMap<EventStore, LiveFeed>();

export class LiveFeed {
  readonly #store: EventStore;
  readonly #logger: Logger | undefined;
  /** When the notifications were lost, until the first ones heard again (`Date.now()`). */
  #lostSince: number | undefined;
  readonly #gapWaitMs: number;
  readonly #consumers = new Map<string, Set<Consumer>>();
  readonly #taps = new Set<NotificationTap>();
  #subscription: Promise<Subscription> | undefined;

  /** The feed of `store` in this process, made on first use. */
  static of(store: EventStore, logger?: Logger): LiveFeed {
    let feed = feeds.get(store);
    if (feed === undefined) {
      feed = new LiveFeed(store, { ...(logger === undefined ? {} : { logger }) });
      feeds.set(store, feed);
    }
    return feed;
  }

  constructor(store: EventStore, options: { logger?: Logger; gapWaitMs?: number } = {}) {
    this.#store = store;
    this.#logger = options.logger;
    this.#gapWaitMs = options.gapWaitMs ?? DEFAULT_GAP_WAIT_MS;
  }

  /** How many consumers are watching, over all streams. */
  get consumerCount(): number {
    let count = 0;
    for (const consumers of this.#consumers.values()) count += consumers.size;
    return count;
  }

  /**
   * Delivers to `listener`, in version order and each once, every event of `stream` from
   * `nextVersion` on. Resolves once the feed is live for it.
   */
  async watch(stream: string, nextVersion: number, listener: LiveListener): Promise<LiveWatch> {
    const consumer: Consumer = {
      stream,
      order: new StreamOrder(nextVersion),
      listener,
      closed: false,
      reading: undefined,
      nextRead: undefined,
      gapTimer: undefined,
      retryTimer: undefined,
      retryDelayMs: FIRST_RETRY_MS,
    };
    let consumers = this.#consumers.get(stream);
    if (consumers === undefined) {
      consumers = new Set();
      this.#consumers.set(stream, consumers);
    }
    consumers.add(consumer);
    try {
      await this.#ensureSubscribed();
    } catch (error) {
      this.#remove(consumer);
      throw error;
    }
    // Events stored after the consumer's last read but before the subscription saw them.
    await this.#readFromStore(consumer);
    return { close: () => this.#remove(consumer) };
  }

  /**
   * Hands `tap` every notification of the store from the moment this resolves, in the engine's
   * order (position order, each position once, on every engine here): the one engine subscription
   * of the process, shared with the stream consumers, for readers that follow by position
   * (`ListenFor`). What was stored before it resolves, the reader reads from the store.
   */
  async tap(tap: NotificationTap): Promise<LiveWatch> {
    this.#taps.add(tap);
    try {
      await this.#ensureSubscribed();
    } catch (error) {
      this.#removeTap(tap);
      throw error;
    }
    return { close: () => this.#removeTap(tap) };
  }

  /**
   * Events this process has just stored in `stream` (the answer of its own append), offered to
   * the stream's consumers at once, before the store's notification of them comes back: another
   * actor of the same id in this process learns them without a round trip. The notification that
   * follows is dropped as already delivered; events out of order wait, as notified ones do.
   */
  stored(stream: string, events: readonly StoredEvent[]): void {
    const consumers = this.#consumers.get(stream);
    if (consumers === undefined || events.length === 0) return;
    for (const consumer of consumers) this.#offer(consumer, events.map(copyOfEvent));
  }

  /** Closes the engine subscription and forgets every consumer. */
  async close(): Promise<void> {
    for (const consumers of this.#consumers.values())
      for (const consumer of consumers) this.#remove(consumer);
    this.#taps.clear();
    await this.#unsubscribe();
  }

  #removeTap(tap: NotificationTap): void {
    if (this.#taps.delete(tap) && this.#isIdle()) void this.#unsubscribe();
  }

  #isIdle(): boolean {
    return this.#consumers.size === 0 && this.#taps.size === 0;
  }

  #ensureSubscribed(): Promise<Subscription> {
    this.#subscription ??= this.#store
      .subscribe((notifications) => this.#onNotifications(notifications), {
        onError: (error) => this.#onSubscriptionError(error),
      })
      .catch((error: unknown) => {
        this.#subscription = undefined;
        throw error;
      });
    return this.#subscription;
  }

  /**
   * A damaged stored row is reported once by the engine, which then delivers past it: the live
   * consumers of its stream cannot get past it, so it is an error naming where it is, not a
   * passing warning. Anything else is a connection problem the engine recovers from by catching up.
   */
  #onSubscriptionError(error: unknown): void {
    if (error instanceof CorruptEventError) {
      const { stream, position, version } = error.where;
      this.#logger?.error(
        'a stored event cannot be read: live notifications go on past it, but live consumers of its stream stop before it',
        { error, stream, position, version },
      );
      return;
    }
    // An engine reports each failed try to reconnect: the loss is a warning once, the tries debug.
    if (this.#lostSince === undefined) {
      this.#lostSince = Date.now();
      this.#logger?.warn('the live feed lost its notifications; it will catch up', { error });
    } else {
      this.#logger?.debug('the live feed still cannot hear its store', { error });
    }
  }

  async #unsubscribe(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription !== undefined) await (await subscription.catch(() => undefined))?.close();
  }

  #remove(consumer: Consumer): void {
    if (consumer.closed) return;
    consumer.closed = true;
    clearTimeout(consumer.gapTimer);
    clearTimeout(consumer.retryTimer);
    const consumers = this.#consumers.get(consumer.stream);
    consumers?.delete(consumer);
    if (consumers?.size === 0) this.#consumers.delete(consumer.stream);
    if (this.#isIdle()) void this.#unsubscribe();
  }

  #onNotifications(notifications: readonly EventNotification[]): void {
    if (this.#lostSince !== undefined) {
      const lostForMs = Date.now() - this.#lostSince;
      this.#lostSince = undefined;
      this.#logger?.info('the live feed hears its store again; what it missed is delivered in order', {
        lostForMs,
      });
    }
    for (const tap of this.#taps) {
      try {
        tap(notifications);
      } catch (error) {
        this.#logger?.error('a live notification tap threw', { error });
      }
    }
    const byStream = new Map<string, EventNotification[]>();
    for (const notification of notifications) {
      if (!this.#consumers.has(notification.stream)) continue;
      let list = byStream.get(notification.stream);
      if (list === undefined) byStream.set(notification.stream, (list = []));
      list.push(notification);
    }
    for (const [stream, list] of byStream) {
      const events = list.flatMap((notification) =>
        notification.event === undefined ? [] : [notification.event],
      );
      const announcedOnly = events.length < list.length;
      let first = true;
      for (const consumer of this.#consumers.get(stream) ?? []) {
        // One event object per consumer: a handler may keep and change what it was given.
        this.#offer(consumer, first ? events : events.map(copyOfEvent));
        first = false;
        // An event too large for its notification is read from the store.
        if (announcedOnly) void this.#readFromStore(consumer);
      }
    }
  }

  #offer(consumer: Consumer, events: readonly StoredEvent[]): void {
    if (consumer.closed) return;
    const ready = consumer.order.offer(events);
    if (ready.length > 0) this.#deliver(consumer, ready);
    this.#watchGap(consumer);
  }

  #deliver(consumer: Consumer, events: readonly StoredEvent[]): void {
    try {
      consumer.listener(events);
    } catch (error) {
      this.#logger?.error('a live listener threw', { error, stream: consumer.stream });
    }
  }

  /** Reads the gap from the store if it is still open after a short wait. */
  #watchGap(consumer: Consumer): void {
    if (consumer.order.gap === undefined) {
      clearTimeout(consumer.gapTimer);
      consumer.gapTimer = undefined;
      return;
    }
    if (consumer.gapTimer !== undefined) return;
    consumer.gapTimer = setTimeout(() => {
      consumer.gapTimer = undefined;
      if (consumer.order.gap !== undefined) void this.#readFromStore(consumer);
    }, this.#gapWaitMs);
    consumer.gapTimer.unref();
  }

  /**
   * Reads every stored event from the consumer's next version on, and offers it. The returned
   * promise settles after a read that began after the call: a request during a read queues one
   * more read once it ends (at most one is queued; later requests share it).
   */
  #readFromStore(consumer: Consumer): Promise<void> {
    if (consumer.reading !== undefined) {
      consumer.nextRead ??= consumer.reading.then(() => {
        consumer.nextRead = undefined;
        return this.#readFromStore(consumer);
      });
      return consumer.nextRead;
    }
    consumer.reading = (async () => {
      try {
        await this.#readToEnd(consumer);
        consumer.retryDelayMs = FIRST_RETRY_MS;
      } catch (error) {
        this.#onReadError(consumer, error);
      } finally {
        consumer.reading = undefined;
      }
    })();
    return consumer.reading;
  }

  #onReadError(consumer: Consumer, error: unknown): void {
    if (error instanceof CorruptEventError) {
      // Reading again cannot help: the consumer stays before the damaged event.
      this.#logger?.error('a stored event of this stream cannot be read; its live consumers stop before it', {
        error,
        stream: consumer.stream,
        position: error.where.position,
        version: error.where.version,
      });
      return;
    }
    this.#logger?.warn('the live feed could not read a stream; it will try again', {
      error,
      stream: consumer.stream,
      retryInMs: consumer.retryDelayMs,
    });
    // No later event may come to prompt another read: the consumer must not stay behind.
    if (consumer.closed || consumer.retryTimer !== undefined) return;
    consumer.retryTimer = setTimeout(() => {
      consumer.retryTimer = undefined;
      void this.#readFromStore(consumer);
    }, consumer.retryDelayMs);
    consumer.retryTimer.unref();
    consumer.retryDelayMs = Math.min(LONGEST_RETRY_MS, consumer.retryDelayMs * 2);
  }

  async #readToEnd(consumer: Consumer): Promise<void> {
    while (!consumer.closed) {
      const events = await this.#store.readStream(consumer.stream, {
        fromVersion: consumer.order.nextVersion,
        limit: READ_PAGE_SIZE,
      });
      this.#offer(consumer, events);
      if (events.length < READ_PAGE_SIZE) return;
    }
  }
}
