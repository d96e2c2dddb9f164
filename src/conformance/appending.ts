/**
 * Conformance: appending to a stream, and the expected version that makes an append conditional.
 * An append is atomic: a refused append, for whatever reason, stores nothing.
 */
import assert from 'node:assert/strict';
import { ConcurrencyError, UsageError } from '../errors.js';
import { assertInstanceOf, assertMatches, assertRefused, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

export function describeAppending(specs: Specs): void {
  specs.describe('appending', () => describeAppends(specs));
  specs.describe('the expected version', () => describeExpectedVersions(specs));
}

function describeAppends({ it }: Specs): void {
  it('stores the first events of a stream at versions 1 to n', async (open) => {
    const store = await open();
    const result = await store.appendToStream('order-1', events(3));
    assert.equal(result.stream, 'order-1');
    assert.equal(result.version, 3);
    assert.deepStrictEqual(
      result.events.map((event) => event.version),
      [1, 2, 3],
    );
    assert.deepStrictEqual(
      (await store.readStream('order-1')).map((event) => event.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );
  });

  it('continues the versions of a stream with no gap', async (open) => {
    const store = await open();
    await store.appendToStream('order-1', events(2));
    const result = await store.appendToStream('order-1', events(3, 'happened', 3));
    assert.deepStrictEqual(
      result.events.map((event) => event.version),
      [3, 4, 5],
    );
    assert.equal(result.version, 5);
    assert.deepStrictEqual(
      (await store.readStream('order-1')).map((event) => event.version),
      [1, 2, 3, 4, 5],
    );
  });

  it('answers with the events exactly as a later read returns them', async (open) => {
    const store = await open();
    const result = await store.appendToStream('order-1', [
      { name: 'placed', data: { total: 12 }, meta: { actor: 'Order' } },
      { name: 'paid' },
    ]);
    assert.deepStrictEqual(await store.readStream('order-1'), result.events);
    assert.deepStrictEqual(await store.readAll(), result.events);
  });

  it('keeps each stream its own versions', async (open) => {
    const store = await open();
    await store.appendToStream('a', events(2));
    const result = await store.appendToStream('b', events(1));
    assert.equal(result.events[0]?.version, 1);
    assert.equal(await store.streamVersion('a'), 2);
    assert.equal(await store.streamVersion('b'), 1);
  });

  it('stores omitted data as null', async (open) => {
    const store = await open();
    await store.appendToStream('s', [{ name: 'ticked' }]);
    assert.equal((await store.readStream('s'))[0]?.data, null);
  });

  it('stores nothing for an append of no events and answers the current version', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(2));
    assert.deepStrictEqual(await store.appendToStream('s', []), { stream: 's', events: [], version: 2 });
    assert.deepStrictEqual(await store.appendToStream('empty', []), {
      stream: 'empty',
      events: [],
      version: 0,
    });
    assert.deepStrictEqual(await store.listStreams(), [{ stream: 's', version: 2 }]);
  });

  it('checks the expected version even for an append of no events', async (open) => {
    const store = await open();
    const error = await rejectionOf(store.appendToStream('s', [], { expectedVersion: 'exists' }));
    assertInstanceOf(error, ConcurrencyError);
  });

  it('stores nothing of a batch with one invalid event', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1));
    const error = await rejectionOf(
      store.appendToStream('s', [
        { name: 'fine', data: { ok: true } },
        { name: 'also_fine' },
        { name: 'broken', data: { when: new Date(Number.NaN) } },
      ]),
    );
    assertMatches(error, { path: 'events[2].data.when' });
    assert.equal(await store.streamVersion('s'), 1);
    assert.equal((await store.readAll()).length, 1);
  });
}

function describeExpectedVersions({ it }: Specs): void {
  it("'any', the default, appends whatever the stream's version", async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1), { expectedVersion: 'any' });
    await store.appendToStream('s', events(1), { expectedVersion: 'any' });
    await store.appendToStream('s', events(1));
    assert.equal(await store.streamVersion('s'), 3);
  });

  it("'no-stream' appends only to a stream with no events", async (open) => {
    const store = await open();
    await store.appendToStream('s', events(2), { expectedVersion: 'no-stream' });
    const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: 'no-stream' }));
    assertInstanceOf(error, ConcurrencyError);
    assertMatches(error, { code: 'CONCURRENCY', stream: 's', expected: 'no-stream', actual: 2 });
  });

  it("0 behaves like 'no-stream'", async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1), { expectedVersion: 0 });
    const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: 0 }));
    assertInstanceOf(error, ConcurrencyError);
    assertMatches(error, { stream: 's', expected: 0, actual: 1 });
  });

  it("'exists' appends only to a stream with events", async (open) => {
    const store = await open();
    const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: 'exists' }));
    assertInstanceOf(error, ConcurrencyError);
    assertMatches(error, { stream: 's', expected: 'exists', actual: 0 });
    await store.appendToStream('s', events(1));
    await store.appendToStream('s', events(1), { expectedVersion: 'exists' });
    assert.equal(await store.streamVersion('s'), 2);
  });

  it('a number appends only when the stream is at exactly that version', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(2));
    for (const stale of [1, 3]) {
      const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: stale }));
      assertInstanceOf(error, ConcurrencyError);
      assertMatches(error, { stream: 's', expected: stale, actual: 2 });
    }
    const result = await store.appendToStream('s', events(2), { expectedVersion: 2 });
    assert.equal(result.version, 4);
  });

  it('a refused append stores nothing', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(1));
    await rejectionOf(store.appendToStream('s', events(5), { expectedVersion: 7 }));
    assert.equal(await store.streamVersion('s'), 1);
    assert.equal((await store.readAll()).length, 1);
  });

  it('append options it cannot read (a getter that throws) are refused with UsageError', async (open) => {
    const store = await open();
    const unreadable = {
      get expectedVersion(): number {
        throw new Error('no version today');
      },
    };
    assertInstanceOf(await rejectionOf(store.appendToStream('s', events(1), unreadable)), UsageError);
    assert.equal(await store.streamVersion('s'), 0);
  });

  it('one that is not a mode or a whole number >= 0 is refused with InvalidEventError', async (open) => {
    const bad: unknown[] = [-1, 1.5, Number.NaN, Infinity, '1', 'latest', null, {}, 1n, Object.create(null)];
    for (const expectedVersion of bad) {
      await assertRefused(
        open,
        (store) => store.appendToStream('s', events(1), { expectedVersion } as never),
        'expectedVersion',
      );
    }
  });
}
