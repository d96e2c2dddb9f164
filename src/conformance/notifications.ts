/**
 * Conformance: notifications. Every event stored after a subscription starts (or after the position
 * it names) reaches every open subscription, whatever the concurrency and whatever its listener does.
 */
import assert from 'node:assert/strict';
import { StoreUnavailableError } from '../errors.js';
import { assertMatches } from './assertions.js';
import { collector } from './notification-collector.js';
import type { Specs } from './runner.js';

export function describeNotifications(specs: Specs): void {
  specs.describe('notifications', () => {
    describeDelivery(specs);
    describeSubscribers(specs);
  });
}

function describeDelivery({ it }: Specs): void {
  it('notifies a subscriber of every event stored after it subscribed, with the event', async (open) => {
    const store = await open();
    await store.appendToStream('before', [{ name: 'old' }]);
    const seen = collector();
    const subscription = await store.subscribe(seen.listener);
    await store.appendToStream('a', [{ name: 'one', data: { n: 1 } }, { name: 'two' }]);
    await store.appendToStream('b', [{ name: 'three' }]);
    await seen.until(3);
    await subscription.close();
    const byPosition = new Map(seen.received.map((notification) => [notification.position, notification]));
    const stored = (await store.readAll()).slice(1);
    assert.deepStrictEqual(
      seen.positions(),
      stored.map((event) => event.position),
    );
    for (const event of stored) {
      const notification = byPosition.get(event.position);
      assertMatches(notification, {
        stream: event.stream,
        version: event.version,
        name: event.name,
        position: event.position,
      });
      if (notification?.event !== undefined) assert.deepStrictEqual(notification.event, event);
    }
  });

  it('catches up from a position given with after, then goes on live', async (open) => {
    const store = await open();
    await store.appendToStream('s', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const [first] = await store.readAll({ limit: 1 });
    const seen = collector();
    const subscription = await store.subscribe(seen.listener, { after: first?.position ?? 0 });
    await store.appendToStream('s', [{ name: 'd' }]);
    await seen.until(3);
    await subscription.close();
    const all = await store.readAll();
    assert.deepStrictEqual(
      seen.positions(),
      all.slice(1).map((event) => event.position),
    );
  });

  it('notifies every event of many concurrent appends', async (open) => {
    const store = await open();
    const seen = collector();
    const subscription = await store.subscribe(seen.listener);
    await Promise.all(
      Array.from({ length: 20 }, (_, writer) =>
        (async () => {
          for (let index = 0; index < 10; index++) {
            await store.appendToStream(`stream-${writer % 4}`, [{ name: 'e', data: { writer, index } }]);
          }
        })(),
      ),
    );
    await seen.until(200);
    await subscription.close();
    assert.deepStrictEqual(
      seen.positions(),
      (await store.readAll()).map((event) => event.position),
    );
  });
}

function describeSubscribers({ it }: Specs): void {
  it('serves several subscribers, and a closed one hears nothing more', async (open) => {
    const store = await open();
    const first = collector();
    const second = collector();
    const one = await store.subscribe(first.listener);
    const two = await store.subscribe(second.listener);
    await store.appendToStream('s', [{ name: 'a' }]);
    await Promise.all([first.until(1), second.until(1)]);
    await one.close();
    await store.appendToStream('s', [{ name: 'b' }]);
    await second.until(2);
    await two.close();
    assert.equal(first.positions().length, 1);
    assert.equal(second.positions().length, 2);
  });

  it('keeps notifying after a listener throws', async (open) => {
    const store = await open();
    const errors: unknown[] = [];
    const seen = collector();
    let calls = 0;
    const subscription = await store.subscribe(
      (notifications) => {
        calls++;
        seen.listener(notifications);
        if (calls === 1) throw new Error('listener failed');
      },
      { onError: (error) => errors.push(error) },
    );
    await store.appendToStream('s', [{ name: 'a' }]);
    await seen.until(1);
    await store.appendToStream('s', [{ name: 'b' }]);
    await seen.until(2);
    await subscription.close();
    assert.equal(errors.length, 1);
  });

  it('refuses to subscribe after close', async (open) => {
    const store = await open();
    await store.close();
    await assert.rejects(
      store.subscribe(() => undefined),
      StoreUnavailableError,
    );
  });
}
