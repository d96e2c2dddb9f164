/** Conformance: listing the streams of a store, in code point order, paged and by prefix. */
import assert from 'node:assert/strict';
import type { EventStore } from '../engines/engine.js';
import { UsageError } from '../errors.js';
import { assertInstanceOf, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

type ListOptions = Parameters<EventStore['listStreams']>[0];

export function describeListingStreams(specs: Specs): void {
  specs.describe('listing streams', () => {
    describeOrderAndPaging(specs);
    describePrefixesAndRefusals(specs);
  });
}

function describeOrderAndPaging({ it }: Specs): void {
  it('lists streams in id order with their versions', async (open) => {
    const store = await open();
    await store.appendToStream('charlie', events(3));
    await store.appendToStream('alpha', events(1));
    await store.appendToStream('bravo', events(2));
    await store.appendToStream('alpha', events(1));
    assert.deepStrictEqual(await store.listStreams(), [
      { stream: 'alpha', version: 2 },
      { stream: 'bravo', version: 2 },
      { stream: 'charlie', version: 3 },
    ]);
  });

  it('orders ids by Unicode code point, the order of their UTF-8 bytes', async (open) => {
    const store = await open();
    // U+FF5E sorts before U+1F600 by code point, but after it by UTF-16 unit.
    const ids = ['b', 'a', 'B', 'é', 'z', '😀', '～', 'a-1', 'a1', 'A'];
    for (const id of ids) await store.appendToStream(id, events(1));
    assert.deepStrictEqual(
      (await store.listStreams()).map((info) => info.stream),
      ['A', 'B', 'a', 'a-1', 'a1', 'b', 'z', 'é', '～', '😀'],
    );
  });

  it('pages with after and limit', async (open) => {
    const store = await open();
    for (const id of ['e', 'a', 'd', 'b', 'c']) await store.appendToStream(id, events(1));
    const ids = async (options: ListOptions) => (await store.listStreams(options)).map((info) => info.stream);
    assert.deepStrictEqual(await ids({ limit: 2 }), ['a', 'b']);
    assert.deepStrictEqual(await ids({ after: 'b', limit: 2 }), ['c', 'd']);
    assert.deepStrictEqual(await ids({ after: 'd' }), ['e']);
    assert.deepStrictEqual(await ids({ after: 'bb' }), ['c', 'd', 'e']);
    assert.deepStrictEqual(await ids({ after: 'e' }), []);
    assert.deepStrictEqual(await ids({ limit: 0 }), []);
  });

  it('returns at most 1000 streams when no limit is given', async (open) => {
    const store = await open();
    for (let index = 0; index < 1003; index++) {
      await store.appendToStream(`s-${String(index).padStart(4, '0')}`, events(1));
    }
    const first = await store.listStreams();
    assert.equal(first.length, 1000);
    assert.equal((await store.listStreams({ after: first[999]?.stream as string })).length, 3);
  });
}

function describePrefixesAndRefusals({ it }: Specs): void {
  it('refuses an after or prefix that is not well-formed text (a lone surrogate) with UsageError', async (open) => {
    const store = await open();
    await store.appendToStream('a😀', events(1));
    for (const options of [
      { after: '\uD800' },
      { after: 'a\uD83D' },
      { prefix: 'a\uDE00' },
      { prefix: '\uD83D' },
    ]) {
      assertInstanceOf(await rejectionOf(store.listStreams(options)), UsageError, JSON.stringify(options));
    }
  });

  it('refuses options it cannot read (a getter that throws) with UsageError', async (open) => {
    const store = await open();
    const unreadable = {
      get limit(): number {
        throw new Error('no limit today');
      },
    };
    assertInstanceOf(await rejectionOf(store.listStreams(unreadable)), UsageError);
  });

  it('selects with prefix the streams whose id starts with it, taken literally', async (open) => {
    const store = await open();
    const ids = [
      'user-1',
      'user-2',
      'user',
      'users',
      'User-3',
      'order-1',
      'a_%',
      'ab%',
      'a_%b',
      'a%',
      'é1',
      'é2',
      'f',
    ];
    for (const id of ids) await store.appendToStream(id, events(1));
    const withPrefix = async (prefix: string, more: ListOptions = {}) =>
      (await store.listStreams({ prefix, ...more })).map((info) => info.stream);
    assert.deepStrictEqual(await withPrefix('user-'), ['user-1', 'user-2']);
    assert.deepStrictEqual(await withPrefix('user'), ['user', 'user-1', 'user-2', 'users']);
    assert.deepStrictEqual(await withPrefix('a_%'), ['a_%', 'a_%b']);
    assert.deepStrictEqual(await withPrefix('a%'), ['a%']);
    assert.deepStrictEqual(await withPrefix('é'), ['é1', 'é2']);
    assert.deepStrictEqual(await withPrefix('nobody'), []);
    assert.deepStrictEqual(await withPrefix('user', { after: 'user-1', limit: 2 }), ['user-2', 'users']);
    assert.equal((await withPrefix('')).length, ids.length);
  });

  it('refuses a limit that is not a whole number, or an after or prefix that is not a string, with UsageError', async (open) => {
    const store = await open();
    for (const options of [{ limit: 2.5 }, { after: 3 }, { prefix: ['a'] }, { limit: Object.create(null) }]) {
      assertInstanceOf(await rejectionOf(store.listStreams(options as never)), UsageError);
    }
  });
}
