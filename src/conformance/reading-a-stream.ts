/** Conformance: reading one stream, whole or a range of its versions, and its current version. */
import assert from 'node:assert/strict';
import type { EventStore } from '../engines/engine.js';
import { UsageError } from '../errors.js';
import { assertInstanceOf, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events, range } from './sample-events.js';

export function describeReadingAStream({ describe, it }: Specs): void {
  describe('reading a stream', () => {
    it('returns its events in version order', async (open) => {
      const store = await open();
      await store.appendToStream('s', events(3));
      await store.appendToStream('other', events(2));
      await store.appendToStream('s', events(2, 'happened', 4));
      const read = await store.readStream('s');
      assert.deepStrictEqual(
        read.map((event) => event.version),
        [1, 2, 3, 4, 5],
      );
      assert.deepStrictEqual(
        read.map((event) => event.data),
        range(1, 5).map((n) => ({ n })),
      );
      assert.equal(
        read.every((event) => event.stream === 's'),
        true,
      );
    });

    it('selects a range with fromVersion, toVersion and limit', async (open) => {
      const store = await open();
      await store.appendToStream('s', events(10));
      const versions = async (options: Parameters<EventStore['readStream']>[1]) =>
        (await store.readStream('s', options)).map((event) => event.version);
      assert.deepStrictEqual(await versions({ fromVersion: 4 }), [4, 5, 6, 7, 8, 9, 10]);
      assert.deepStrictEqual(await versions({ toVersion: 3 }), [1, 2, 3]);
      assert.deepStrictEqual(await versions({ fromVersion: 3, toVersion: 5 }), [3, 4, 5]);
      assert.deepStrictEqual(await versions({ limit: 2 }), [1, 2]);
      assert.deepStrictEqual(await versions({ fromVersion: 6, limit: 3 }), [6, 7, 8]);
      assert.deepStrictEqual(await versions({ fromVersion: 9, toVersion: 20, limit: 5 }), [9, 10]);
      assert.deepStrictEqual(await versions({ fromVersion: 11 }), []);
      assert.deepStrictEqual(await versions({ fromVersion: 5, toVersion: 4 }), []);
      assert.deepStrictEqual(await versions({ limit: 0 }), []);
      assert.deepStrictEqual(await versions({ fromVersion: 0, limit: 1 }), [1]);
    });

    it('reads a stream with no events as empty, at version 0', async (open) => {
      const store = await open();
      assert.deepStrictEqual(await store.readStream('nobody'), []);
      assert.equal(await store.streamVersion('nobody'), 0);
    });

    it('knows each stream by its exact id', async (open) => {
      const store = await open();
      await store.appendToStream('user-1', events(1));
      await store.appendToStream('User-1', events(2));
      await store.appendToStream('user-10', events(3));
      assert.equal((await store.readStream('user-1')).length, 1);
      assert.equal(await store.streamVersion('User-1'), 2);
      assert.equal(await store.streamVersion('user-'), 0);
    });

    it('gives streamVersion as the version of the last event', async (open) => {
      const store = await open();
      await store.appendToStream('s', events(4));
      await store.appendToStream('s', events(3));
      assert.equal(await store.streamVersion('s'), 7);
    });

    it('refuses a range that is not made of whole numbers with UsageError', async (open) => {
      const store = await open();
      const unreadable = new Proxy(
        {},
        {
          get() {
            throw new Error('no options today');
          },
        },
      );
      for (const options of [
        { fromVersion: 1.5 },
        { toVersion: Number.NaN },
        { limit: '3' },
        { limit: Object.create(null) },
        unreadable,
      ]) {
        assertInstanceOf(await rejectionOf(store.readStream('s', options as never)), UsageError);
      }
    });
  });
}
