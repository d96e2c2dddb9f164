/** Conformance: a closed store refuses every call by rejecting, and closing again is harmless. */
import assert from 'node:assert/strict';
import { StoreUnavailableError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

export function describeClosing({ describe, it }: Specs): void {
  describe('closing', () => {
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
  });
}
