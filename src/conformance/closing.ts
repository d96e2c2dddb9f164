/**
 * Conformance: closing. Every call made before `close()` is answered as if `close()` came after it
 * (an append is stored, a read answers); every call after it rejects; closing again is harmless and
 * waits for the same release; nothing is delivered once `close()` was called.
 */
import assert from 'node:assert/strict';
import type { EventNotification } from '../engines/engine.js';
import { StoreUnavailableError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

export function describeClosing(specs: Specs): void {
  specs.describe('closing', () => {
    describeRefusalsAfterClose(specs);
    describeCallsBeforeClose(specs);
  });
}

function describeRefusalsAfterClose({ it }: Specs): void {
  it('makes every later call reject with StoreUnavailableError', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1));
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['appendToStream', () => store.appendToStream('s', events(1))],
      ['readStream', () => store.readStream('s')],
      ['readAll', () => store.readAll()],
      ['streamVersion', () => store.streamVersion('s')],
      ['listStreams', () => store.listStreams()],
    ];
    for (const [name, call] of calls) {
      const error = await rejectionOf(call());
      assertInstanceOf(error, StoreUnavailableError, name);
      assertMatches(error, { code: 'STORE_UNAVAILABLE' }, name);
    }
  });

  it('rejects rather than throws when called after close', async (open) => {
    const store = await open();
    await store.close();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = store.readAll();
    });
    assertInstanceOf(await rejectionOf(promise as Promise<unknown>), StoreUnavailableError);
  });

  it('is harmless to close twice', async (open) => {
    const store = await open();
    await store.close();
    assert.equal(await store.close(), undefined);
  });
}

function describeCallsBeforeClose({ it }: Specs): void {
  it('answers every call made before close, and stores an append called just before it', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1));
    // Nothing awaited between the calls and close: each is in flight when the store closes.
    const appending = store.appendToStream('s', events(1));
    const reading = store.readStream('s');
    const listing = store.listStreams();
    const version = store.streamVersion('s');
    const all = store.readAll();
    const snapshot = store.readSnapshot('s', 'key');
    const closing = store.close();
    const appended = await appending;
    assert.equal(appended.version, 2);
    assert.equal((await reading).length >= 1, true);
    assert.deepStrictEqual(
      (await listing).map((info) => info.stream),
      ['s'],
    );
    assert.equal((await version) >= 1, true);
    assert.equal((await all).length >= 1, true);
    assert.equal(await snapshot, undefined);
    await closing;
  });

  it('returns the same promise to a second close called while the first runs', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1));
    const reading = store.readAll();
    const first = store.close();
    const second = store.close();
    assert.equal(second, first);
    await first;
    assert.equal((await reading).length, 1);
  });

  it('never calls the listener of a subscribe that rejects, and delivers nothing once close was called', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(2));
    let closeCalled = false;
    const lateDeliveries: EventNotification[] = [];
    let delivered = 0;
    const subscribing = store.subscribe(
      (notifications) => {
        delivered += notifications.length;
        if (closeCalled) lateDeliveries.push(...notifications);
      },
      { after: 0 },
    );
    closeCalled = true;
    const [subscribed] = await Promise.allSettled([subscribing, store.close()]);
    if (subscribed.status === 'rejected') {
      assertInstanceOf(subscribed.reason, StoreUnavailableError);
      assert.equal(delivered, 0, 'a subscribe that rejected called its listener');
    }
    // Once close has settled, the engine's subscriptions are closed and their reads finished:
    // whatever it had in flight, none of it may have reached the listener after close was called.
    assert.deepStrictEqual(lateDeliveries, []);
  });
}
