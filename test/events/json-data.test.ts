import { describe, expect, it } from 'vitest';
import { InvalidEventError } from 'omniscient';
import { encodeJson } from '../../src/events/json-data.js';

const LIMIT = 1024 * 1024;

function refusal(value: unknown, limit = LIMIT): InvalidEventError {
  try {
    encodeJson(value, 'data', limit);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error(`expected ${String(value)} to be refused`);
}

class Money {
  constructor(readonly cents: number) {}
}

describe('event data must be JSON-safe', () => {
  it('accepts JSON values, null-prototype objects and Dates (stored as ISO strings)', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(encodeJson({ s: 'é', n: -1.5, b: true, z: null, a: [1, [2]], o: { p: {} } }, 'data', LIMIT)).toBe(
      '{"s":"é","n":-1.5,"b":true,"z":null,"a":[1,[2]],"o":{"p":{}}}',
    );
    expect(encodeJson(bare, 'data', LIMIT)).toBe('{"a":1}');
    expect(encodeJson({ at: new Date('2026-01-01T00:00:00Z') }, 'data', LIMIT)).toBe(
      '{"at":"2026-01-01T00:00:00.000Z"}',
    );
    expect(encodeJson(undefined, 'data', LIMIT)).toBe('null');
  });

  it('omits object properties whose value is undefined, as JSON does', () => {
    expect(encodeJson({ a: undefined, b: 1 }, 'data', LIMIT)).toBe('{"b":1}');
  });

  it.each([
    ['a function', { f: () => 1 }, 'data.f', /function/],
    ['a symbol', { s: Symbol('x') }, 'data.s', /symbol/],
    ['a symbol key', { [Symbol('k')]: 1 }, 'data', /symbol keys/],
    ['a BigInt', { n: 10n }, 'data.n', /BigInt/],
    ['NaN', { n: NaN }, 'data.n', /NaN/],
    ['Infinity', { deep: [{ n: -Infinity }] }, 'data.deep[0].n', /-Infinity/],
    ['undefined in an array', { a: [1, undefined] }, 'data.a[1]', /undefined/],
    // eslint-disable-next-line no-sparse-arrays -- a hole is what is being refused
    ['a hole in an array', { a: [1, , 3] }, 'data.a[1]', /hole/],
    ['an invalid Date', { d: new Date('nope') }, 'data.d', /invalid Date/],
    ['a class instance', { price: new Money(5) }, 'data.price', /instance of Money/],
    ['a Map', { m: new Map() }, 'data.m', /instance of Map/],
    ['a Set', [new Set()], 'data[0]', /instance of Set/],
    ['a RegExp', { r: /x/ }, 'data.r', /instance of RegExp/],
    ['a Buffer', { b: Buffer.from('x') }, 'data.b', /instance of Buffer/],
    ['a typed array', { t: new Uint8Array(2) }, 'data.t', /instance of Uint8Array/],
    ['a boxed string', { s: new String('x') }, 'data.s', /instance of String/],
    ['a toJSON function', { v: { toJSON: () => 1 } }, 'data.v.toJSON', /function/],
    ['an odd key', { 'a b': { c: NaN } }, 'data["a b"].c', /NaN/],
  ])('refuses %s, naming its path', (_case, value, path, reason) => {
    const error = refusal(value);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(reason);
    expect(error.code).toBe('INVALID_EVENT');
  });

  it('refuses cycles, but not the same object twice side by side', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(refusal(cyclic).path).toBe('data.self.back');
    const shared = { x: 1 };
    expect(encodeJson({ a: shared, b: shared, c: [shared, shared] }, 'data', LIMIT)).toBe(
      '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}',
    );
  });

  it('refuses data over the size limit, counting UTF-8 bytes', () => {
    expect(encodeJson('a'.repeat(98), 'data', 100)).toHaveLength(100);
    expect(refusal('a'.repeat(99), 100).message).toMatch(/101 bytes as JSON; the limit is 100/);
    // 'é' is one UTF-16 unit but two UTF-8 bytes.
    expect(refusal('é'.repeat(50), 100).message).toMatch(/102 bytes/);
  });
});
