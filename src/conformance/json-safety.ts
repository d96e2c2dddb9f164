/**
 * Conformance: only JSON-safe data and meta are stored, each refusal naming the path of the value
 * at fault, and nothing over the store's size limit.
 */
import assert from 'node:assert/strict';
import { InvalidEventError } from '../errors.js';
import { assertInstanceOf, assertMatches, assertRefused, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** What is not JSON-safe, how to make it, and the path the refusal must name. */
const refusedData: [string, () => unknown, string][] = [
  ['a function', () => ({ f: () => 1 }), 'events[0].data.f'],
  ['a symbol', () => ({ s: Symbol('s') }), 'events[0].data.s'],
  ['a symbol key', () => ({ [Symbol('key')]: 1 }), 'events[0].data'],
  ['a BigInt', () => ({ big: 10n }), 'events[0].data.big'],
  ['NaN', () => ({ n: Number.NaN }), 'events[0].data.n'],
  ['Infinity', () => ({ n: Infinity }), 'events[0].data.n'],
  ['-Infinity', () => [1, -Infinity], 'events[0].data[1]'],
  ['undefined in an array', () => ({ list: [1, undefined] }), 'events[0].data.list[1]'],
  // eslint-disable-next-line no-sparse-arrays
  ['a hole in an array', () => ({ list: [1, , 3] }), 'events[0].data.list[1]'],
  [
    'a cycle',
    () => {
      const node: Record<string, unknown> = { name: 'loop' };
      node.self = node;
      return node;
    },
    'events[0].data.self',
  ],
  ['an invalid Date', () => ({ at: new Date('not a date') }), 'events[0].data.at'],
  ['a Map', () => ({ m: new Map([[1, 2]]) }), 'events[0].data.m'],
  ['a Set', () => ({ s: new Set([1]) }), 'events[0].data.s'],
  ['a RegExp', () => ({ r: /x/ }), 'events[0].data.r'],
  ['a Buffer', () => ({ b: Buffer.from('x') }), 'events[0].data.b'],
  ['a typed array', () => ({ t: new Uint8Array(2) }), 'events[0].data.t'],
  ['a class instance', () => ({ p: new Point(1, 2) }), 'events[0].data.p'],
  ['a boxed number', () => ({ n: Object(1) as unknown }), 'events[0].data.n'],
  ['a boxed string', () => ({ s: Object('s') as unknown }), 'events[0].data.s'],
  [
    'a bad value under a key that is not an identifier',
    () => ({ 'a b': { c: Symbol('x') } }),
    'events[0].data["a b"].c',
  ],
  ['a bad value deep in arrays', () => [[0, [1, () => 2]]], 'events[0].data[0][1][1]'],
  ['a function as the whole data', () => () => 1, 'events[0].data'],
];

export function describeJsonSafety(specs: Specs): void {
  specs.describe('JSON safety', () => {
    describeRefusedValues(specs);
    describeSizeLimits(specs);
  });
}

function describeRefusedValues({ it }: Specs): void {
  for (const [what, data, path] of refusedData) {
    it(`refuses data holding ${what}, at ${path}, and stores nothing`, async (open) => {
      await assertRefused(open, (store) => store.appendToStream('s', [{ name: 'bad', data: data() }]), path);
    });
  }

  it('refuses meta that is not JSON-safe, at its path, and stores nothing', async (open) => {
    await assertRefused(
      open,
      (store) => store.appendToStream('s', [{ name: 'bad', meta: { attempt: Number.NaN } }]),
      'events[0].meta.attempt',
    );
    await assertRefused(
      open,
      (store) => store.appendToStream('s', [{ name: 'bad', meta: { nested: { f: () => 1 } } as never }]),
      'events[0].meta.nested.f',
    );
  });

  it('refuses meta that is not a plain object', async (open) => {
    for (const meta of [['actor'], 'actor', 42, new Point(1, 2)]) {
      await assertRefused(
        open,
        (store) => store.appendToStream('s', [{ name: 'bad', meta: meta as never }]),
        'events[0].meta',
      );
    }
  });

  it('refuses, as an invalid event, what throws when read: a revoked Proxy, a throwing getter, toJSON', async (open) => {
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    const throwingName = Object.defineProperty({}, 'name', {
      get() {
        throw new Error('no name today');
      },
    });
    const cases: [string, () => unknown][] = [
      ['events[0].meta', () => [{ name: 'bad', meta: revoked() }]],
      ['events[0].data', () => [{ name: 'bad', data: revoked() }]],
      ['events[0]', () => [revoked()]],
      ['events[0]', () => [throwingName]],
      ['events', () => revoked()],
      ['events[0].data.toJSON', () => [{ name: 'bad', data: { toJSON: () => 'other' } }]],
    ];
    for (const [path, batch] of cases) {
      await assertRefused(open, async (store) => store.appendToStream('s', batch() as never), path);
    }
  });

  it('names the index of the refused event in a batch', async (open) => {
    await assertRefused(
      open,
      (store) =>
        store.appendToStream('s', [
          { name: 'fine', data: 1 },
          { name: 'fine', data: 2 },
          { name: 'bad', data: { x: 10n } },
        ]),
      'events[2].data.x',
    );
  });
}

function describeSizeLimits({ it }: Specs): void {
  it('refuses data over the store limit, measured in UTF-8 bytes of JSON', async (open) => {
    const store = await open({ maxEventBytes: 100 });
    assert.equal(store.limits.maxEventBytes, 100);
    // JSON.stringify('x'.repeat(98)) is 100 bytes: exactly at the limit.
    await store.appendToStream('s', [{ name: 'fits', data: 'x'.repeat(98) }]);
    const tooBig = await rejectionOf(store.appendToStream('s', [{ name: 'too_big', data: 'x'.repeat(99) }]));
    assertInstanceOf(tooBig, InvalidEventError);
    assertMatches(tooBig, { path: 'events[0].data' });
    // 49 two-byte characters: 100 bytes, though only 51 characters.
    await store.appendToStream('s', [{ name: 'fits', data: 'é'.repeat(49) }]);
    const multiByte = await rejectionOf(
      store.appendToStream('s', [{ name: 'too_big', data: 'é'.repeat(50) }]),
    );
    assertMatches(multiByte, { path: 'events[0].data' });
    const bigMeta = await rejectionOf(
      store.appendToStream('s', [{ name: 'too_big', meta: { note: 'x'.repeat(200) } }]),
    );
    assertMatches(bigMeta, { path: 'events[0].meta' });
    assert.equal(await store.streamVersion('s'), 2);
  });

  it('has a default limit of 1 MiB', async (open) => {
    const store = await open();
    assert.equal(store.limits.maxEventBytes, 1024 * 1024);
    const error = await rejectionOf(
      store.appendToStream('s', [{ name: 'huge', data: 'x'.repeat(1024 * 1024) }]),
    );
    assertMatches(error, { path: 'events[0].data' });
  });
}
