import { describe, expect, it } from 'vitest';
import { InvalidEventError } from 'omniscient-actors';
import { encodeJson, MAX_JSON_DEPTH } from '../../src/events/json-data.js';

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

/** Nests `inner` `depth` times: in arrays (`[[…]]`) or in objects (`{a:{a:…}}`). */
function nested(depth: number, kind: 'array' | 'object', inner: unknown = 1): unknown {
  let value = inner;
  for (let level = 0; level < depth; level++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** A plain object whose `toJSON` is not enumerable: JSON.stringify calls it, a key walk misses it. */
function withHiddenToJson<T extends object>(value: T, toJSON: () => unknown): T {
  return Object.defineProperty(value, 'toJSON', { value: toJSON, enumerable: false });
}

/** An object whose property `v` reads as `first` the first time and as `then` every time after. */
function changingGetter(first: unknown, then: unknown): { object: object; reads: () => number } {
  let reads = 0;
  const object = {
    get v(): unknown {
      reads++;
      return reads === 1 ? first : then;
    },
  };
  return { object, reads: () => reads };
}

describe('the stored text is exactly the data that was checked', () => {
  it('refuses a toJSON that is not enumerable, on a plain object or nested', () => {
    const hidden = withHiddenToJson({ a: 1 }, () => ({ a: 2 }));
    expect(refusal(hidden).path).toBe('data.toJSON');
    const deep = refusal({ items: [{ at: withHiddenToJson({}, () => 'x') }] });
    expect(deep.path).toBe('data.items[0].at.toJSON');
    expect(deep.message).toMatch(/toJSON function/);
  });

  it('refuses a toJSON on an array, where a walk of its items would not see it', () => {
    const error = refusal({ list: Object.assign([1, 2], { toJSON: () => 'other' }) });
    expect(error.path).toBe('data.list.toJSON');
  });

  it('refuses a toJSON returning undefined, which would leave no JSON text at all', () => {
    expect(refusal(withHiddenToJson({ a: 1 }, () => undefined)).path).toBe('data.toJSON');
    expect(refusal(withHiddenToJson([1], () => undefined)).path).toBe('data.toJSON');
  });

  it("refuses a toJSON on a Date other than Date's own, and an object that only looks like a Date", () => {
    const date = withHiddenToJson(new Date('2026-01-01T00:00:00Z'), () => 'not a date');
    expect(refusal({ at: date }).path).toBe('data.at.toJSON');
    const fake = refusal({ at: Object.create(Date.prototype) as Date });
    expect(fake.path).toBe('data.at');
    expect(fake.message).toMatch(/not a real Date/);
  });

  it.each([
    ['a function', () => 1],
    ['a BigInt', 10n],
    ['a class instance', new Money(5)],
    ['undefined', undefined],
  ])(
    'reads a getter once: a getter that turns into %s on a second read stores its first value',
    (_c, then) => {
      const { object, reads } = changingGetter(1, then);
      expect(encodeJson(object, 'data', LIMIT)).toBe('{"v":1}');
      expect(reads()).toBe(1);
    },
  );

  it('checks the value a getter gives on the one read that is stored', () => {
    const { object, reads } = changingGetter(10n, 1);
    expect(refusal({ x: object }).path).toBe('data.x.v');
    expect(reads()).toBe(1);
  });

  it('refuses a getter that throws, naming its path, with the thrown error as the cause', () => {
    const thrown = new Error('no such field');
    const error = refusal({
      ok: 1,
      get broken(): unknown {
        throw thrown;
      },
    });
    expect(error.path).toBe('data.broken');
    expect(error.message).toMatch(/could not be read: no such field/);
    expect(error.cause).toBe(thrown);
  });

  it('refuses a getter whatever it throws, even what cannot be printed or inspected', () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const unprintable = Object.create(null) as object;
    for (const thrown of [revoked, unprintable, undefined, 'text']) {
      const error = refusal({
        get v(): unknown {
          throw thrown;
        },
      });
      expect(error.path).toBe('data.v');
      expect(error.cause).toBe(thrown);
    }
  });

  it('refuses a revoked Proxy, at the top or nested', () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    const nestedError = refusal({ list: [proxy] });
    expect(nestedError.path).toBe('data.list[0]');
    expect(nestedError.cause).toBeInstanceOf(TypeError);
    expect(refusal(proxy).path).toBe('data');
  });

  it('refuses a Proxy whose traps throw, naming the path being read', () => {
    const failing = (handler: ProxyHandler<object>) => new Proxy({ a: 1, b: 2 }, handler);
    const fail = (what: string) => () => {
      throw new Error(`${what} failed`);
    };
    const getB = failing({ get: (target, key) => (key === 'b' ? fail('get')() : Reflect.get(target, key)) });
    expect(refusal({ p: getB }).path).toBe('data.p.b');
    expect(refusal({ p: failing({ get: fail('get') }) }).path).toBe('data.p.toJSON');
    expect(refusal({ p: failing({ ownKeys: fail('ownKeys') }) }).message).toMatch(
      /data\.p could not be read: ownKeys failed/,
    );
    expect(refusal({ p: failing({ getPrototypeOf: fail('getPrototypeOf') }) }).path).toBe('data.p');
    expect(refusal([failing({ getOwnPropertyDescriptor: fail('descriptor') })]).path).toBe('data[0]');
  });

  it('stores what a Proxy gave on the one read of each property', () => {
    let gets = 0;
    const proxy = new Proxy(
      { a: 1, b: 'x' },
      {
        get(target, key, receiver): unknown {
          gets++;
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    expect(encodeJson({ p: proxy }, 'data', LIMIT)).toBe('{"p":{"a":1,"b":"x"}}');
    // `a`, `b`, and the one look for a toJSON method.
    expect(gets).toBe(3);
  });

  it.each(['array', 'object'] as const)('refuses data nested 5 000 %ss deep, naming where', (kind) => {
    const error = refusal(nested(5000, kind));
    expect(error.message).toMatch(new RegExp(`nested more than ${MAX_JSON_DEPTH} arrays or objects deep`));
    expect(error.path).toBe(`data${(kind === 'array' ? '[0]' : '.a').repeat(MAX_JSON_DEPTH)}`);
  });

  it(`accepts data nested exactly ${MAX_JSON_DEPTH} deep`, () => {
    const text = encodeJson(nested(MAX_JSON_DEPTH, 'array'), 'data', LIMIT);
    expect(text).toBe(`${'['.repeat(MAX_JSON_DEPTH)}1${']'.repeat(MAX_JSON_DEPTH)}`);
  });

  it('tells a cycle from deep data wherever it closes, through arrays too', () => {
    const list: unknown[] = [1];
    const root = { deep: nested(100, 'object', { list }) };
    list.push({ back: root });
    const error = refusal(root);
    expect(error.path).toBe(`data.deep${'.a'.repeat(100)}.list[1].back`);
    expect(error.message).toMatch(/cycle/);
  });

  it('stops writing at the size limit, even when shared objects make the text explode', () => {
    let reads = 0;
    let shared: unknown = {
      get v(): string {
        reads++;
        return 'x';
      },
    };
    // 2^20 references to one small object: megabytes of text if it were all written out.
    for (let level = 0; level < 20; level++) shared = [shared, shared];
    expect(refusal({ shared }, 1000).message).toMatch(/bytes as JSON; the limit is 1000/);
    // Each copy is 9 characters: the walk stops within a subtree or two of the limit.
    expect(reads).toBeLessThanOrEqual(256);
  });
});
