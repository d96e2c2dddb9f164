/**
 * The snapshot state codec: every state shape an actor may hold survives the trip through JSON
 * exactly, a tag can never be mistaken for the user's data, and what cannot be restored is refused
 * with the path of the value at fault.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { decodeState, encodeState, UndecodableStateError } from '../../src/snapshots/state-codec.js';

/** The state after a trip through the codec and JSON text, as a store keeps it. */
function roundTrip(state: unknown): unknown {
  return decodeState(JSON.parse(JSON.stringify(encodeState(state))));
}

function refusalOf(state: unknown): string {
  try {
    encodeState(state);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('the state was encoded');
}

/** `[1, <hole>, 3]`: an array with a hole, written without the sparse literal linters forbid. */
function holeyArray(): unknown[] {
  const list: unknown[] = [1];
  list[2] = 3;
  return list;
}

class Foo {
  constructor(readonly since = 1) {}
}

describe('the snapshot state codec', () => {
  const shapes: Array<[string, unknown]> = [
    ['JSON values', { text: 'é\u0000', yes: true, no: false, nothing: null, n: 1.5, list: [1, 'a', [null]] }],
    ['NaN, ±Infinity and -0', { values: [NaN, Infinity, -Infinity, -0, 0] }],
    ['undefined as an object value and as an array item', { missing: undefined, list: [undefined, 1] }],
    ['bigints', { big: 2n ** 70n, negative: -5n }],
    ['dates, invalid ones included', { at: new Date('2030-01-02T03:04:05.678Z'), never: new Date(NaN) }],
    [
      'Maps with any keys',
      {
        players: new Map<unknown, unknown>([
          ['a', { since: 1 }],
          [2, 'two'],
          [{ k: 1 }, new Set([1])],
        ]),
      },
    ],
    ['Sets', { tags: new Set(['x', 1, undefined, null]) }],
    ['RegExps with their flags and lastIndex', { pattern: Object.assign(/a.b/giu, { lastIndex: 3 }) }],
    ['ArrayBuffers', { bytes: new Uint8Array([0, 1, 255]).buffer }],
    ['typed arrays and views of part of a buffer', { view: new Int16Array(new ArrayBuffer(16), 4, 3) }],
    [
      'every kind of typed array',
      {
        all: [
          new Int8Array([-1]),
          new Uint8Array([1]),
          new Uint8ClampedArray([300]),
          new Int16Array([-2]),
          new Uint16Array([2]),
          new Int32Array([-3]),
          new Uint32Array([3]),
          new Float32Array([0.5]),
          new Float64Array([NaN]),
          new BigInt64Array([-4n]),
          new BigUint64Array([4n]),
        ],
      },
    ],
    ['DataViews', { view: new DataView(new ArrayBuffer(8), 2, 4) }],
    ['Buffers', { buffer: Buffer.from('hello') }],
    ['objects with no prototype', { bare: Object.assign(Object.create(null) as object, { a: 1 }) }],
    ['empty containers', { o: {}, a: [], m: new Map(), s: new Set() }],
  ];

  for (const [what, state] of shapes) {
    it(`keeps ${what} exactly`, () => {
      expect(roundTrip(state)).toStrictEqual(state);
    });
  }

  it('keeps -0 apart from 0 and a view at its offset in its whole buffer', () => {
    const restored = roundTrip({ zero: -0, view: new Uint8Array(new ArrayBuffer(10), 6, 2) }) as {
      zero: number;
      view: Uint8Array;
    };
    expect(Object.is(restored.zero, -0)).toBe(true);
    expect(restored.view.byteOffset).toBe(6);
    expect(restored.view.buffer.byteLength).toBe(10);
  });

  it('keeps an object with no prototype without one', () => {
    const restored = roundTrip({ bare: Object.create(null) as object }) as { bare: object };
    expect(Object.getPrototypeOf(restored.bare)).toBeNull();
  });

  it('never mistakes a user object that uses the tag key for a tagged value', () => {
    const state = { looksTagged: { '~': 'Date', time: 0 }, nested: [{ '~': 'undefined' }] };
    expect(roundTrip(state)).toStrictEqual(state);
  });

  it('brings __proto__ and constructor keys back as own properties, never as a prototype', () => {
    const state = JSON.parse(
      '{"__proto__": {"polluted": true}, "inner": {"__proto__": 1, "constructor": 2}}',
    ) as object;
    const restored = roundTrip(state) as Record<string, unknown>;
    expect(Object.getPrototypeOf(restored)).toBe(Object.prototype);
    expect(Object.keys(restored)).toEqual(['__proto__', 'inner']);
    expect(Object.getOwnPropertyDescriptor(restored, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(restored).toStrictEqual(state);
  });

  describe('refuses, naming the path', () => {
    const refusals: Array<[string, unknown, string]> = [
      ['a function', { f: () => 1 }, '_state.f is a function'],
      ['a symbol', { list: [Symbol('s')] }, '_state.list[0] is a symbol'],
      ['a symbol key', { inner: { [Symbol('k')]: 1 } }, '_state.inner has a symbol key'],
      [
        'a class instance in a Map',
        { players: new Map([['a', new Foo()]]) },
        '_state.players.get("a") is an instance of Foo',
      ],
      [
        'a class instance deeper down',
        { players: new Map([['a', { since: new Foo() }]]) },
        '_state.players.get("a").since is an instance of Foo',
      ],
      ['an Error', { failure: new Error('x') }, '_state.failure is an instance of Error'],
      ['a boxed primitive', { n: new Number(1) }, '_state.n is an instance of Number'],
      ['a sparse array', { list: holeyArray() }, '_state.list is a sparse array: index 1 is a hole'],
      [
        'an array with extra properties',
        { list: Object.assign([1], { extra: true }) },
        '_state.list is an array with properties besides its items',
      ],
      ['a key that needs quoting', { 'odd key': [() => 1] }, '_state["odd key"][0] is a function'],
      ['a Set item', { tags: new Set([new Foo()]) }, '_state.tags.values()[0] is an instance of Foo'],
      ['a Map key', { m: new Map([[new Foo(), 1]]) }, '_state.m.keys()[0] is an instance of Foo'],
    ];
    for (const [what, state, message] of refusals) {
      it(what, () => {
        expect(refusalOf(state)).toContain(message);
      });
    }

    it('a cycle', () => {
      const state: Record<string, unknown> = { inner: {} };
      (state['inner'] as Record<string, unknown>)['back'] = state;
      expect(refusalOf(state)).toBe('_state.inner.back refers back to _state, which contains it (a cycle)');
    });

    it('an object reachable twice, which a restored copy would no longer share', () => {
      const shared = { n: 1 };
      expect(refusalOf({ a: shared, b: [shared] })).toContain('_state.b[0] is the same object as _state.a');
    });

    it('two views of one buffer', () => {
      const buffer = new ArrayBuffer(4);
      expect(refusalOf({ a: new Uint8Array(buffer), b: new Uint16Array(buffer) })).toContain(
        '_state.b.buffer is the same object as _state.a.buffer',
      );
    });

    it('nesting deeper than a store accepts', () => {
      let deep: object = {};
      for (let level = 0; level < 200; level++) deep = { deep };
      expect(refusalOf(deep)).toContain('nests deeper than 128 levels');
    });
  });

  describe('refuses to decode anything it would not have written', () => {
    const malformed: Array<[string, unknown]> = [
      ['an unknown tag', { '~': 'Promise' }],
      ['a tagged form with a stray field', { '~': 'undefined', extra: 1 }],
      ['a tagged number that is not one', { '~': 'number', value: '12' }],
      ['a bigint that is not a whole number', { '~': 'bigint', value: '1.5' }],
      ['a Date whose time is text', { '~': 'Date', time: 'today' }],
      ['a Map entry that is not a pair', { '~': 'Map', entries: [[1]] }],
      [
        'a Map with a repeated key',
        {
          '~': 'Map',
          entries: [
            [1, 'a'],
            [1, 'b'],
          ],
        },
      ],
      ['a Set with a repeated item', { '~': 'Set', items: [1, 1] }],
      ['a RegExp that does not compile', { '~': 'RegExp', source: '(', flags: '', lastIndex: 0 }],
      ['bytes that are not base64', { '~': 'ArrayBuffer', base64: '***' }],
      [
        'a view that does not fit its buffer',
        { '~': 'Uint32Array', buffer: { '~': 'ArrayBuffer', base64: 'AAAA' }, byteOffset: 0, length: 4 },
      ],
      ['a prototype other than null', { '~': 'object', prototype: 'Foo', entries: {} }],
    ];
    for (const [what, json] of malformed) {
      it(what, () => {
        expect(() => decodeState({ inner: json })).toThrow(UndecodableStateError);
      });
    }

    it('names where the damage is', () => {
      expect(() => decodeState({ players: [{ '~': 'Date', time: 'x' }] })).toThrow(
        'state.players[0] is a Date whose time is not a valid time',
      );
    });
  });
});
