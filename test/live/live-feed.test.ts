import { describe, expect, it } from 'vitest';
import {
  memoryStore,
  type EventNotification,
  type EventStore,
  type NotificationListener,
  type StoredEvent,
} from 'omniscient';
import { LiveFeed } from '../../src/live/live-feed.js';

/**
 * A real memory store whose notifications are held back and then delivered as the test says:
 * shuffled, with gaps, duplicated, or without their events.
 */
function storeWithControlledNotifications() {
  const store = memoryStore();
  const listeners: NotificationListener[] = [];
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
    async subscribe(listener) {
      listeners.push(listener);
      return { close: async () => void listeners.splice(listeners.indexOf(listener), 1) };
    },
  };
  return {
    store: controlled,
    notify(notifications: EventNotification[]) {
      for (const listener of listeners) listener(notifications);
    },
    get subscriptions() {
      return listeners.length;
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
});
