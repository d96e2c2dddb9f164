/**
 * Conformance: an append retried with the same event ids is stored once and answered as the first
 * one was; an id reused for anything else is refused with `DuplicateEventError`, storing nothing.
 */
import assert from 'node:assert/strict';
import type { NewEvent } from '../events/envelope.js';
import { DuplicateEventError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

export function describeRetries(specs: Specs): void {
  specs.describe('retrying an append', () => {
    describeIdempotentRetries(specs);
    describeReusedIds(specs);
  });
}

function describeIdempotentRetries({ it }: Specs): void {
  it('stores events retried with the same ids once, and answers as the first append did', async (open) => {
    const store = await open();
    const batch: NewEvent[] = [
      { id: 'retry-1', name: 'placed', data: { total: 3 } },
      { id: 'retry-2', name: 'paid', data: { amount: 3 } },
    ];
    const first = await store.appendToStream('order', batch, { expectedVersion: 'no-stream' });
    const retried = await store.appendToStream('order', batch, { expectedVersion: 'no-stream' });
    assert.deepStrictEqual(retried, first);
    assert.deepStrictEqual(await store.readStream('order'), first.events);
    assert.equal((await store.readAll()).length, 2);
  });

  it('answers a retry as the first append did even after the stream moved on', async (open) => {
    const store = await open();
    await store.appendToStream('order', events(1));
    const batch: NewEvent[] = [
      { id: 'moved-1', name: 'placed' },
      { id: 'moved-2', name: 'paid' },
    ];
    const first = await store.appendToStream('order', batch, { expectedVersion: 1 });
    await store.appendToStream('order', events(2));
    const retried = await store.appendToStream('order', batch, { expectedVersion: 1 });
    assert.deepStrictEqual(retried, first);
    assert.equal(retried.version, 3);
    assert.equal(await store.streamVersion('order'), 5);
  });

  it('answers a retried single event with its stored version and position', async (open) => {
    const store = await open();
    const first = await store.appendToStream('s', [{ id: 'only', name: 'happened', data: [1, 2] }]);
    await store.appendToStream('t', events(1));
    assert.deepStrictEqual(
      await store.appendToStream('s', [{ id: 'only', name: 'happened', data: [1, 2] }]),
      first,
    );
  });

  it('answers a batch repeating a consecutive run of stored events with those events, as stored', async (open) => {
    const store = await open();
    const stored = await store.appendToStream('a', [
      { id: 'y1', name: 'happened' },
      { id: 'y2', name: 'happened' },
      { id: 'y3', name: 'happened' },
    ]);
    const tail = await store.appendToStream('a', [
      { id: 'y2', name: 'happened' },
      { id: 'y3', name: 'happened' },
    ]);
    assert.deepStrictEqual(tail, { stream: 'a', events: stored.events.slice(1), version: 3 });
    assert.equal(await store.streamVersion('a'), 3);
  });
}

function describeReusedIds({ it }: Specs): void {
  it('refuses an id stored in another stream with DuplicateEventError and stores nothing', async (open) => {
    const store = await open();
    await store.appendToStream('a', [{ id: 'taken', name: 'happened' }]);
    const error = await rejectionOf(store.appendToStream('b', [{ id: 'taken', name: 'happened' }]));
    assertInstanceOf(error, DuplicateEventError);
    assertMatches(error, { code: 'DUPLICATE_EVENT', eventId: 'taken', stream: 'b' });
    assert.equal(await store.streamVersion('b'), 0);
    assert.equal((await store.readAll()).length, 1);
  });

  it('refuses an id reused for a different event in the same stream', async (open) => {
    const store = await open();
    await store.appendToStream('a', [{ id: 'taken', name: 'happened', data: 1 }]);
    for (const reuse of [
      { id: 'taken', name: 'happened', data: 2 },
      { id: 'taken', name: 'other', data: 1 },
    ]) {
      const error = await rejectionOf(store.appendToStream('a', [reuse]));
      assertInstanceOf(error, DuplicateEventError);
      assertMatches(error, { eventId: 'taken', stream: 'a' });
    }
    assert.equal(await store.streamVersion('a'), 1);
  });

  it('refuses a new batch holding an id already stored, storing none of it', async (open) => {
    const store = await open();
    await store.appendToStream('a', [{ id: 'taken', name: 'happened' }]);
    const error = await rejectionOf(
      store.appendToStream('a', [
        { id: 'fresh-1', name: 'happened' },
        { id: 'taken', name: 'happened' },
        { id: 'fresh-2', name: 'happened' },
      ]),
    );
    assertInstanceOf(error, DuplicateEventError);
    assertMatches(error, { eventId: 'taken', stream: 'a' });
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.id),
      ['taken'],
    );
  });

  it('refuses a batch that is not a run of the stored events: longer, or reordered', async (open) => {
    const store = await open();
    const stored: NewEvent[] = [
      { id: 'x1', name: 'happened' },
      { id: 'x2', name: 'happened' },
    ];
    await store.appendToStream('a', stored);
    for (const batch of [
      [...stored, { id: 'x3', name: 'happened' }],
      [stored[1] as NewEvent, stored[0] as NewEvent],
    ]) {
      const error = await rejectionOf(store.appendToStream('a', batch));
      assertInstanceOf(error, DuplicateEventError);
      assertMatches(error, { eventId: batch[0]?.id, stream: 'a' });
    }
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.id),
      ['x1', 'x2'],
    );
  });
}
