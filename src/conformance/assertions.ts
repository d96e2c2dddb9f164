/**
 * The assertions the conformance suite makes beyond `node:assert/strict` itself, each failing with
 * an `AssertionError` that shows what was expected and what the store did.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { EventStore } from '../engines/engine.js';
import { InvalidEventError } from '../errors.js';
import type { Open } from './runner.js';

/** Resolves to what `promise` rejects with; fails if it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to reject, but it fulfilled');
}

export function assertInstanceOf(
  value: unknown,
  type: abstract new (...args: never[]) => unknown,
  message?: string,
): void {
  if (value instanceof type) return;
  const got = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  assert.fail(
    `${message === undefined ? '' : `${message}: `}expected an instance of ${type.name}, got ${got}`,
  );
}

/**
 * Asserts that `actual` has every property of `expected` with an equal value, recursively, and may
 * have more (arrays must match element by element, at the same length).
 */
export function assertMatches(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(projectOnto(actual, expected), expected, message);
}

/** The part of `actual` that `expected` speaks of, so that a failed comparison shows only that. */
function projectOnto(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return actual;
    return actual.map((item, index) => projectOnto(item, expected[index]));
  }
  if (!isPlainObject(expected) || typeof actual !== 'object' || actual === null) return actual;
  const projected: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) {
    if (key in actual) projected[key] = projectOnto((actual as Record<string, unknown>)[key], expected[key]);
  }
  return projected;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Asserts that `list` holds an element deeply equal to `item`. */
export function assertContainsEqual(list: readonly unknown[], item: unknown): void {
  assert.ok(
    list.some((element) => isDeepStrictEqual(element, item)),
    `expected ${JSON.stringify(list)} to contain ${JSON.stringify(item)}`,
  );
}

export function assertStrictlyIncreasing(positions: readonly number[]): void {
  for (let index = 1; index < positions.length; index++) {
    const [before, after] = [positions[index - 1] as number, positions[index] as number];
    assert.ok(after > before, `position ${after} at index ${index} does not follow ${before}`);
  }
}

/** Asserts that `append` rejects with an `InvalidEventError` at `path` and that nothing was stored. */
export async function assertRefused(
  open: Open,
  append: (store: EventStore) => Promise<unknown>,
  path: string,
): Promise<void> {
  const store = await open();
  const error = await rejectionOf(append(store));
  assertInstanceOf(error, InvalidEventError);
  assertMatches(error, { code: 'INVALID_EVENT', path });
  assert.deepStrictEqual(await store.readAll(), []);
  assert.deepStrictEqual(await store.listStreams(), []);
}
