/**
 * Conformance: a store shares no object with its callers, so what a caller does to an event,
 * before or after the append, never changes what is stored.
 */
import assert from 'node:assert/strict';
import type { StoredEvent } from '../events/envelope.js';
import { assertMatches } from './assertions.js';
import type { Specs } from './runner.js';

/** Changes an object if it can; a frozen object refusing the change is as good. */
function tryToChange(change: () => void): void {
  try {
    change();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

export function describeIsolation({ describe, it }: Specs): void {
  describe('isolation', () => {
    it('changing a returned event does not change the store', async (open) => {
      const store = await open();
      const { events: appended } = await store.appendToStream('s', [
        { name: 'happened', data: { list: [1, 2], nested: { value: 'original' } }, meta: { actor: 'A' } },
      ]);
      const expected = structuredClone(await store.readStream('s'));
      const vandalise = (event: StoredEvent | undefined) => {
        const data = event?.data as { list: number[]; nested: { value: string } };
        tryToChange(() => data.list.push(3));
        tryToChange(() => (data.nested.value = 'changed'));
        tryToChange(() => ((event?.meta as Record<string, unknown>).actor = 'B'));
        tryToChange(() => ((event as { version: number }).version = 99));
      };
      vandalise(appended[0]);
      vandalise((await store.readStream('s'))[0]);
      vandalise((await store.readAll())[0]);
      assert.deepStrictEqual(await store.readStream('s'), expected);
      assert.deepStrictEqual(await store.readAll(), expected);
    });

    it('changing the appended objects after the append does not change the store', async (open) => {
      const store = await open();
      const data = { list: [1, 2], nested: { value: 'original' } };
      const meta = { actor: 'A' };
      await store.appendToStream('s', [{ name: 'happened', data, meta }]);
      data.list.push(3);
      data.nested.value = 'changed';
      meta.actor = 'B';
      assertMatches((await store.readStream('s'))[0], {
        data: { list: [1, 2], nested: { value: 'original' } },
        meta: { actor: 'A' },
      });
    });
  });
}
