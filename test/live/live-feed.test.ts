import { describe, expect, it } from 'vitest';
import {
  CorruptEventError,
  StoreUnavailableError,
  memoryStore,
  type Logger,
  type EventNotification,
  type EventStore,
  type NotificationListener,
  type StoredEvent,
} from 'omniscient-actors';
import { LiveFeed } from '../../src/live/live-feed.js';

/**
 * A real memory store whose notifications are held back and then delivered as the test says:
 * shuffled, with gaps, duplicated, or without their events.
 */
function storeWithControlledNotifications() {
  const store = memoryStore();
  const listeners: NotificationListener[] = [];
  const errorHooks: ((error: unknown) => void)[] = [];
  const controlled: EventStore = {
    ...store,
    engine: store.engine,
    limits: store.limits,
    appendToStream: store.appendToStream.bind(store),
    readStream: store.readStream.bind(store),
    readAll: store.readAll.bind(store),
    streamVersion: store.streamVersion.bind(store),
    listStreams: store.listStreams.bind(store),
    saveSnapshot: store.saveSnapshot.bind(store),
    readSnapshot: store.readSnapshot.bind(store),
    close: store.close.bind(store),
    async subscribe(listener, options) {
      listeners.push(listener);
      if (options?.onError) errorHooks.push(options.onError);
      return { close: async () => void listeners.splice(listeners.indexOf(listener), 1) };
    },
  };
  return {
    store: controlled,
    notify(notifications: EventNotification[]) {
      for (const listener of listeners) listener(notifications);
    },
    /** Reports a problem to every subscription, as an engine does. */
    reportError(error: unknown) {
      for (const onError of errorHooks) onError(error);
    },
    get subscriptions() {
      return listeners.length;
    },
  };
}

/**
 * A real memory store whose notifications only announce their events (as PostgreSQL's do for an
 * event too large for a NOTIFY payload), and whose stream reads can be held open: a held read has
 * taken its snapshot of the stream and returns it only when the test releases it.
 */
function storeWithHeldReads() {
  const store = memoryStore();
  let held: Promise<void> | undefined;
  let readStarted: () => void = () => undefined;
  const announced = new Map<number, () => void>();
  const reads: number[] = [];
  const inFlight: Promise<unknown>[] = [];
  const wrapped: EventStore = {
    ...store,
    engine: store.engine,
    limits: store.limits,
    appendToStream: store.appendToStream.bind(store),
    readAll: store.readAll.bind(store),
    streamVersion: store.streamVersion.bind(store),
    listStreams: store.listStreams.bind(store),
    saveSnapshot: store.saveSnapshot.bind(store),
    readSnapshot: store.readSnapshot.bind(store),
    close: store.close.bind(store),
    readStream(stream, options) {
      reads.push(options?.fromVersion ?? 1);
      const read = (async () => {
        const events = await store.readStream(stream, options);
        const gate = held;
        readStarted();
        if (gate !== undefined) await gate;
        return events;
      })();
      inFlight.push(read.catch(() => undefined));
      return read;
    },
    subscribe(listener, options) {
      return store.subscribe((notifications) => {
        listener(notifications.map(({ event: _event, ...announcement }) => announcement));
        for (const notification of notifications) announced.get(notification.version)?.();
      }, options);
    },
  };
  return {
    store: wrapped,
    /** The fromVersion of every stream read, in order. */
    reads,
    /**
     * Holds the reads that start from now on open, until `release()`; `taken` resolves once one
     * of them has read the stream.
     */
    holdReads(): { taken: Promise<void>; release(): void } {
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      held = gate;
      const taken = new Promise<void>((resolve) => (readStarted = resolve));
      return {
        taken,
        release() {
          if (held === gate) {
            held = undefined;
            readStarted = () => undefined;
          }
          open();
        },
      };
    },
    /**
     * Resolves once every read has returned and the feed, having handled them, started no other:
     * the memory store reads without timers, so one turn of the event loop lets the feed finish.
     */
    async quiet(): Promise<void> {
      let started: number;
      do {
        started = inFlight.length;
        await Promise.all(inFlight);
        await new Promise((resolve) => setImmediate(resolve));
      } while (inFlight.length !== started);
    },
    /** Resolves once the notification of `version` has reached the feed. */
    announcement(version: number): Promise<void> {
      return new Promise<void>((resolve) => announced.set(version, resolve));
    },
  };
}

function notificationOf(event: StoredEvent, withEvent = true): EventNotification {
  return {
    stream: event.stream,
    version: event.version,
    position: event.position,
    name: event.name,
    ...(withEvent ? { event } : {}),
  };
}

function collector() {
  const versions: number[] = [];
  let wake: (() => void) | undefined;
  return {
    versions,
    listener: (events: readonly StoredEvent[]) => {
      versions.push(...events.map((event) => event.version));
      wake?.();
    },
    async until(count: number) {
      while (versions.length < count) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

describe('the live feed', () => {
  it('turns shuffled, duplicated notifications into version order', async () => {
    const { store, notify } = storeWithControlledNotifications();
    const feed = new LiveFeed(store, { gapWaitMs: 10_000 });
    const seen = collector();
    await feed.watch('s', 1, seen.listener);
    const { events } = await store.appendToStream(
      's',
      Array.from({ length: 30 }, (_, index) => ({ name: 'e', data: { index } })),
    );
    const order = [...events].reverse();
    notify([...order.slice(0, 10), ...order.slice(5, 15)].map((event) => notificationOf(event)));
    notify(order.slice(10).map((event) => notificationOf(event)));
    await seen.until(30);
    expect(seen.versions).toEqual(events.map((event) => event.version));
    await feed.close();
  });

  it('fills a gap that stays open by reading the store', async () => {
    const { store, notify } = storeWithControlledNotifications();
    const feed = new LiveFeed(store, { gapWaitMs: 5 });
    const seen = collector();
    await feed.watch('s', 1, seen.listener);
    const { events } = await store.appendToStream('s', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    // Versions 1 and 2 are never notified.
    notify([notificationOf(events[2] as StoredEvent)]);
    await seen.until(3);
    expect(seen.versions).toEqual([1, 2, 3]);
    await feed.close();
  });

  it('reads the event of a notification that came without it', async () => {
    const { store, notify } = storeWithControlledNotifications();
    const feed = new LiveFeed(store, { gapWaitMs: 10_000 });
    const received: StoredEvent[] = [];
    let done: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (done = resolve));
    await feed.watch('s', 1, (events) => {
      received.push(...events);
      done();
    });
    const { events } = await store.appendToStream('s', [{ name: 'big', data: { blob: 'x'.repeat(10_000) } }]);
    notify([notificationOf(events[0] as StoredEvent, false)]);
    await arrived;
    expect(received).toEqual(events);
    await feed.close();
  });

  it('tries a failed read again by itself: no later event is needed to catch up', async () => {
    const { store, notify } = storeWithControlledNotifications();
    let failuresLeft = 0;
    const failing: EventStore = {
      ...store,
      async readStream(stream, options) {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new StoreUnavailableError('the store is away for a moment');
        }
        return store.readStream(stream, options);
      },
    };
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const feed = new LiveFeed(failing, { gapWaitMs: 10_000, logger: quiet });
    const seen = collector();
    await feed.watch('s', 1, seen.listener);
    const { events } = await store.appendToStream('s', [{ name: 'big' }]);
    failuresLeft = 2;
    notify([notificationOf(events[0] as StoredEvent, false)]);
    await seen.until(1);
    expect(seen.versions).toEqual([1]);
    expect(failuresLeft).toBe(0);
    await feed.close();
  });

  it('delivers to a consumer what was stored before it joined but after its own read', async () => {
    const { store } = storeWithControlledNotifications();
    const feed = new LiveFeed(store);
    await store.appendToStream('s', [{ name: 'a' }, { name: 'b' }]);
    const seen = collector();
    await feed.watch('s', 2, seen.listener);
    expect(seen.versions).toEqual([2]);
    await feed.close();
  });

  it('holds one engine subscription for every consumer, and lets it go with the last', async () => {
    const controlled = storeWithControlledNotifications();
    const feed = new LiveFeed(controlled.store);
    const watches = await Promise.all(
      Array.from({ length: 100 }, (_, index) => feed.watch(`stream-${index}`, 1, () => undefined)),
    );
    expect(controlled.subscriptions).toBe(1);
    expect(feed.consumerCount).toBe(100);
    for (const watch of watches) watch.close();
    expect(feed.consumerCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(controlled.subscriptions).toBe(0);
  });

  it('keeps the consumers of one stream apart, each from its own version', async () => {
    const { store, notify } = storeWithControlledNotifications();
    const feed = new LiveFeed(store, { gapWaitMs: 10_000 });
    const { events } = await store.appendToStream('s', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const early = collector();
    const late = collector();
    await feed.watch('s', 1, early.listener);
    await feed.watch('s', 3, late.listener);
    notify(events.map((event) => notificationOf(event)));
    await early.until(3);
    await late.until(1);
    expect(early.versions).toEqual([1, 2, 3]);
    expect(late.versions).toEqual([3]);
    await feed.close();
  });
  it('reads again for an event announced while a read was already in progress', async () => {
    const held = storeWithHeldReads();
    const feed = new LiveFeed(held.store, { gapWaitMs: 10_000 });
    await held.store.appendToStream('s', [{ name: 'first' }]);
    const seen = collector();
    const hold = held.holdReads();
    const watching = feed.watch('s', 1, seen.listener);
    // The joining read has seen version 1 only, and waits.
    await hold.taken;
    const announced = held.announcement(2);
    await held.store.appendToStream('s', [{ name: 'big', data: { blob: 'x'.repeat(10_000) } }]);
    await announced;
    hold.release();
    await watching;
    await held.quiet();
    expect(seen.versions).toEqual([1, 2]);
    await feed.close();
  });

  it('answers many announcements during one read with one more read', async () => {
    const held = storeWithHeldReads();
    const feed = new LiveFeed(held.store, { gapWaitMs: 10_000 });
    const seen = collector();
    const hold = held.holdReads();
    const watching = feed.watch('s', 1, seen.listener);
    await hold.taken;
    for (let version = 1; version <= 5; version++) {
      const announced = held.announcement(version);
      await held.store.appendToStream('s', [{ name: 'e', data: { version } }]);
      await announced;
    }
    hold.release();
    await watching;
    await held.quiet();
    expect(seen.versions).toEqual([1, 2, 3, 4, 5]);
    // The joining read, then one read for the five announcements.
    expect(held.reads).toEqual([1, 1]);
    await feed.close();
  });
  it('a joining consumer waits for its own read, not for the reads queued after it', async () => {
    const held = storeWithHeldReads();
    const feed = new LiveFeed(held.store, { gapWaitMs: 10_000 });
    const seen = collector();
    const joining = held.holdReads();
    const watching = feed.watch('s', 1, seen.listener);
    await joining.taken;
    const announced = held.announcement(1);
    await held.store.appendToStream('s', [{ name: 'big', data: { blob: 'x'.repeat(10_000) } }]);
    await announced;
    // The read the announcement queued is held open: the stream is busy.
    const queued = held.holdReads();
    joining.release();
    await queued.taken;
    await watching;
    expect(seen.versions).toEqual([]);
    queued.release();
    await held.quiet();
    expect(seen.versions).toEqual([1]);
    await feed.close();
  });

  it('logs a corrupt stored event as an error naming where it is, a lost connection as a warning once, and hearing the store again as info', async () => {
    const { store, reportError, notify } = storeWithControlledNotifications();
    const logged: { level: string; message: string; context?: Record<string, unknown> }[] = [];
    const record =
      (level: string) =>
      (message: string, context?: Record<string, unknown>): void =>
        void logged.push({ level, message, ...(context === undefined ? {} : { context }) });
    const logger: Logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const feed = new LiveFeed(store, { logger, gapWaitMs: 10_000 });
    await feed.watch('s', 1, () => undefined);
    const corrupt = new CorruptEventError({ stream: 's', position: 7, version: 3 }, 'its data is not JSON');
    const lost = new StoreUnavailableError('the listening connection was closed');
    reportError(corrupt);
    reportError(lost);
    const stillLost = new StoreUnavailableError('connection refused');
    reportError(stillLost);
    const {
      events: [stored],
    } = await store.appendToStream('s', [{ name: 'happened' }]);
    if (stored === undefined) throw new Error('the append stored nothing');
    notify([{ stream: 's', position: stored.position, version: 1, name: stored.name, event: stored }]);
    expect(logged).toEqual([
      {
        level: 'error',
        message: expect.stringMatching(/cannot be read/),
        context: { error: corrupt, stream: 's', position: 7, version: 3 },
      },
      { level: 'warn', message: expect.stringMatching(/lost its notifications/), context: { error: lost } },
      { level: 'debug', message: 'the live feed still cannot hear its store', context: { error: stillLost } },
      {
        level: 'info',
        message: 'the live feed hears its store again; what it missed is delivered in order',
        context: { lostForMs: expect.any(Number) },
      },
    ]);
    expect(logged[0]?.message).not.toMatch(/catch up/);
    await feed.close();
  });
});
