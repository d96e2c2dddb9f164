/**
 * The matcher: compares an expected value, which may hold placeholders at any depth, with an
 * actual one, and lists every difference by path instead of stopping at the first.
 *
 * Rules, applied recursively:
 * - a placeholder matches every value of its kind (see `placeholders.ts`); `'{any}'` matches
 *   anything, `undefined` and `null` included, but the key or item must exist;
 * - a plain object matches an object with exactly the same keys (a key whose actual value is
 *   `undefined` counts as absent, as in JSON), each value matching; prototypes are not compared;
 * - an array matches an array of the same length, item by item;
 * - a `Date` matches a `Date` of the same instant, or an ISO-8601 string naming it (event data
 *   stores dates as strings);
 * - anything else matches by `Object.is` for primitives and `util.isDeepStrictEqual` for other
 *   objects (a `Map`, a class instance); placeholders inside those are not looked at.
 *
 * Besides the differences, a comparison returns both sides laid out for a diff: the expected value
 * with every placeholder that matched replaced by the value it matched, and the actual value with
 * its keys in the expected order. A runner diffing those two shows only the real differences.
 */
import { isDeepStrictEqual } from 'node:util';
import { formatShort, indexPath, propertyPath } from './format.js';
import { isIsoDateTime, isPlaceholder, isPlainObject, satisfiesPlaceholder } from './placeholders.js';

/** One difference between the expected and the actual value. */
export interface Mismatch {
  /** Where, e.g. `[0].data.token` (empty for a difference about the whole value). */
  readonly path: string;
  /** What, e.g. `expected {string}, got 42`. */
  readonly problem: string;
}

export interface Comparison {
  readonly mismatches: readonly Mismatch[];
  /** The expected value, with each placeholder that matched replaced by the actual value. */
  readonly expected: unknown;
  /** The actual value, with the keys of its plain objects in the expected order. */
  readonly actual: unknown;
}

export function describeMismatch(mismatch: Mismatch): string {
  return mismatch.path === '' ? mismatch.problem : `${mismatch.path}: ${mismatch.problem}`;
}

/** Compares the whole of `actual` with `expected`. */
export function compareValues(expected: unknown, actual: unknown, path = ''): Comparison {
  const mismatches: Mismatch[] = [];
  const [resolved, aligned] = compare(expected, actual, path, mismatches);
  return { mismatches, expected: resolved, actual: aligned };
}

/**
 * Compares only the keys `expected` names: `actual` may have others, which are not reported nor
 * shown. The value under each named key is compared whole, by `compareValues`.
 */
export function comparePartial(expected: Record<string, unknown>, actual: unknown, path = ''): Comparison {
  const mismatches: Mismatch[] = [];
  if (typeof actual !== 'object' || actual === null) {
    mismatches.push({ path, problem: `expected an object, got ${formatShort(actual)}` });
    return { mismatches, expected, actual };
  }
  const [resolved, aligned] = compareKeys(expected, actual, path, mismatches, false);
  return { mismatches, expected: resolved, actual: aligned };
}

/** Returns `[resolved expected, aligned actual]`, pushing every difference onto `mismatches`. */
function compare(
  expected: unknown,
  actual: unknown,
  path: string,
  mismatches: Mismatch[],
): [unknown, unknown] {
  if (isPlaceholder(expected)) {
    if (satisfiesPlaceholder(expected, actual)) return [actual, actual];
    mismatches.push({ path, problem: `expected ${expected}, got ${formatShort(actual)}` });
    return [expected, actual];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return differ(expected, actual, path, mismatches);
    return compareArrays(expected, actual, path, mismatches);
  }
  if (isPlainObject(expected)) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return differ(expected, actual, path, mismatches);
    }
    return compareKeys(expected, actual, path, mismatches, true);
  }
  if (expected instanceof Date) {
    return sameInstant(expected, actual) ? [actual, actual] : differ(expected, actual, path, mismatches);
  }
  const equal =
    typeof expected === 'object' && expected !== null
      ? isDeepStrictEqual(expected, actual)
      : Object.is(expected, actual) || expected === actual;
  return equal ? [expected, actual] : differ(expected, actual, path, mismatches);
}

function differ(
  expected: unknown,
  actual: unknown,
  path: string,
  mismatches: Mismatch[],
): [unknown, unknown] {
  mismatches.push({ path, problem: `expected ${formatShort(expected)}, got ${formatShort(actual)}` });
  return [expected, actual];
}

function compareArrays(
  expected: readonly unknown[],
  actual: readonly unknown[],
  path: string,
  mismatches: Mismatch[],
): [unknown, unknown] {
  const resolved: unknown[] = [];
  const aligned: unknown[] = [];
  for (let index = 0; index < Math.max(expected.length, actual.length); index++) {
    const itemPath = indexPath(path, index);
    if (index >= actual.length) {
      mismatches.push({ path: itemPath, problem: `missing item (expected ${formatShort(expected[index])})` });
      resolved.push(expected[index]);
    } else if (index >= expected.length) {
      mismatches.push({ path: itemPath, problem: `unexpected item ${formatShort(actual[index])}` });
      aligned.push(actual[index]);
    } else {
      const [resolvedItem, alignedItem] = compare(expected[index], actual[index], itemPath, mismatches);
      resolved.push(resolvedItem);
      aligned.push(alignedItem);
    }
  }
  return [resolved, aligned];
}

function compareKeys(
  expected: Record<string, unknown>,
  actual: object,
  path: string,
  mismatches: Mismatch[],
  exact: boolean,
): [unknown, unknown] {
  const actualRecord = actual as Record<string, unknown>;
  const resolved: Record<string, unknown> = {};
  const aligned: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) {
    const keyPath = propertyPath(path, key);
    const expectedValue = expected[key];
    const present = key in actual;
    if (expectedValue === undefined) {
      // `{ key: undefined }` asks for the key to be absent (or undefined), as JSON would have it.
      if (present && actualRecord[key] !== undefined) {
        mismatches.push({
          path: keyPath,
          problem: `expected no value, got ${formatShort(actualRecord[key])}`,
        });
        aligned[key] = actualRecord[key];
      }
      continue;
    }
    if (!present) {
      mismatches.push({ path: keyPath, problem: `missing (expected ${formatShort(expectedValue)})` });
      resolved[key] = expectedValue;
      continue;
    }
    const [resolvedValue, alignedValue] = compare(expectedValue, actualRecord[key], keyPath, mismatches);
    resolved[key] = resolvedValue;
    aligned[key] = alignedValue;
  }
  if (exact) {
    for (const key of Object.keys(actual)) {
      if (Object.prototype.hasOwnProperty.call(expected, key) || actualRecord[key] === undefined) continue;
      mismatches.push({
        path: propertyPath(path, key),
        problem: `unexpected key, got ${formatShort(actualRecord[key])}`,
      });
      aligned[key] = actualRecord[key];
    }
  }
  return [resolved, aligned];
}

function sameInstant(expected: Date, actual: unknown): boolean {
  if (actual instanceof Date) return Object.is(actual.getTime(), expected.getTime());
  return isIsoDateTime(actual) && Date.parse(actual) === expected.getTime();
}
