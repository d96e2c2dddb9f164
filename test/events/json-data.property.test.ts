import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidEventError } from 'omniscient-actors';
import { encodeJson } from '../../src/events/json-data.js';

const LIMIT = 1024 * 1024;

/** JSON has no -0: it is written as 0, and read back as 0. */
function withoutMinusZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutMinusZero);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutMinusZero(item)]));
  }
  return value;
}

/** The text, or the refusal; any other exception fails the property. */
function outcome(value: unknown): string | InvalidEventError {
  try {
    return encodeJson(value, 'data', LIMIT);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
}

/** Where a value that changes or fails when read goes; the property builds it afresh for each run. */
class Treacherous {
  constructor(
    readonly kind: number,
    readonly first: unknown,
    readonly then: unknown,
  ) {}
}

const treacherous = fc
  .tuple(fc.nat(10), fc.jsonValue({ maxDepth: 1 }), fc.anything({ maxDepth: 1, withBigInt: true }))
  .map(([kind, first, then]) => new Treacherous(kind, first, then));

/**
 * `value` with every `Treacherous` replaced by what it describes: getters that change type, getters
 * and proxy traps that throw, revoked proxies, hidden `toJSON`s, objects posing as Dates. They are
 * built here, not generated, because the property runner itself inspects what it generates.
 */
function built(value: unknown): unknown {
  if (value instanceof Treacherous) return treacherousValue(value);
  if (Array.isArray(value)) return value.map(built);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, built(item)]));
  }
  return value;
}

function treacherousValue({ kind, first, then }: Treacherous): unknown {
  switch (kind) {
    case 0: {
      let reads = 0;
      return {
        get v(): unknown {
          return reads++ === 0 ? first : then;
        },
      };
    }
    case 1:
      return {
        get v(): unknown {
          throw new Error('getter failed');
        },
      };
    case 2: {
      const { proxy, revoke } = Proxy.revocable({ v: first }, {});
      revoke();
      return proxy;
    }
    case 3:
      return new Proxy({ v: first }, { get: () => then });
    case 4:
      return new Proxy({ v: first }, { ownKeys: () => ['v', 'w'] });
    case 5:
      return Object.defineProperty({ v: first }, 'toJSON', { value: () => then });
    case 6:
      return Object.create(Date.prototype) as Date;
    case 7:
      return Object.defineProperty([first], 'toJSON', { value: () => undefined });
    case 8:
      return new Proxy([first, then], {
        get: (target, key) => (key === 'length' ? 3 : (Reflect.get(target, key) as unknown)),
      });
    case 9:
      return new Proxy({}, { getPrototypeOf: () => ({}) });
    default:
      return {
        get v(): unknown {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          throw proxy;
        },
      };
  }
}

describe('encodeJson over arbitrary values', () => {
  it('writes any JSON value as text that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(encodeJson(value, 'data', LIMIT))).toEqual(withoutMinusZero(value));
      }),
    );
  });

  it('either refuses a value with InvalidEventError or writes what JSON.stringify writes for it', () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withUnicodeString: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        const result = outcome(value);
        if (typeof result === 'string') expect(result).toBe(JSON.stringify(value ?? null));
      }),
    );
  });

  it('never throws anything but InvalidEventError for values that change or fail when read', () => {
    const values = fc.anything({ values: [treacherous, fc.jsonValue({ maxDepth: 1 })], maxDepth: 3 });
    fc.assert(
      fc.property(values, (recipe) => {
        const result = outcome(built(recipe));
        // What is stored is valid JSON, and plain data: writing it again gives the same text.
        if (typeof result === 'string') expect(encodeJson(JSON.parse(result), 'data', LIMIT)).toBe(result);
      }),
    );
  });
});
