import { describe, expect, test } from 'vitest';
import { comparePartial, compareValues, describeMismatch } from '../../src/testing/match.js';

const problems = (expected: unknown, actual: unknown) =>
  compareValues(expected, actual).mismatches.map(describeMismatch);

describe('the matcher', () => {
  test('equal values match', () => {
    expect(
      problems({ a: [1, 'x', null, true], b: { c: {} } }, { b: { c: {} }, a: [1, 'x', null, true] }),
    ).toEqual([]);
  });

  test('placeholders match at any depth, in objects and arrays', () => {
    const expected = { user: { id: '{uuid}', tags: ['{string}', { at: '{date}' }] }, count: '{number}' };
    const actual = {
      user: { id: '0b6c6e1a-86a3-4c1e-9a0f-0c1d2e3f4a5b', tags: ['x', { at: '2024-01-01T00:00:00.000Z' }] },
      count: 3,
    };
    expect(problems(expected, actual)).toEqual([]);
  });

  test('a placeholder that does not match names its path and the value', () => {
    expect(problems([{ data: { token: '{string}' } }], [{ data: { token: 42 } }])).toEqual([
      '[0].data.token: expected {string}, got 42',
    ]);
  });

  test('every mismatch is listed, not only the first', () => {
    expect(problems({ a: 1, b: '{boolean}', c: [1, 2] }, { a: 2, b: 'yes', c: [1, 3] })).toEqual([
      'a: expected 1, got 2',
      "b: expected {boolean}, got 'yes'",
      'c[1]: expected 2, got 3',
    ]);
  });

  test('missing and extra keys fail', () => {
    expect(problems({ a: 1, b: 2 }, { a: 1, c: 3 })).toEqual([
      'b: missing (expected 2)',
      'c: unexpected key, got 3',
    ]);
  });

  test('{any} accepts null and undefined but not a missing key', () => {
    expect(problems({ a: '{any}', b: '{any}' }, { a: null, b: undefined })).toEqual([]);
    expect(problems({ a: '{any}' }, {})).toEqual(['a: missing (expected {any})']);
  });

  test('an expected undefined asks for the key to be absent', () => {
    expect(problems({ a: undefined }, {})).toEqual([]);
    expect(problems({ a: undefined }, { a: 1 })).toEqual(['a: expected no value, got 1']);
  });

  test('arrays must have the same length', () => {
    expect(problems([1, 2], [1])).toEqual(['[1]: missing item (expected 2)']);
    expect(problems([1], [1, 2])).toEqual(['[1]: unexpected item 2']);
    expect(problems(['{array}'], [{}])).toEqual(['[0]: expected {array}, got {}']);
  });

  test('kinds must agree: an object is not an array, a string is not a number', () => {
    expect(problems({ a: {} }, { a: [] })).toEqual(['a: expected {}, got []']);
    expect(problems({ a: 1 }, { a: '1' })).toEqual(["a: expected 1, got '1'"]);
    expect(problems({ a: '{object}' }, { a: null })).toEqual(['a: expected {object}, got null']);
  });

  test('an expected Date matches the same instant as a Date or an ISO string', () => {
    const at = new Date('2024-05-01T12:00:00.000Z');
    expect(problems({ at }, { at: '2024-05-01T12:00:00.000Z' })).toEqual([]);
    expect(problems({ at }, { at: new Date(at.getTime()) })).toEqual([]);
    expect(problems({ at }, { at: '2024-05-01T12:00:01.000Z' })).toHaveLength(1);
  });

  test('other objects compare deeply and strictly', () => {
    expect(problems(new Map([['a', 1]]), new Map([['a', 1]]))).toEqual([]);
    expect(problems(new Set([1]), new Set([2]))).toHaveLength(1);
  });

  test('keys that are not identifiers are quoted in paths', () => {
    expect(problems({ 'a b': { c: 1 } }, { 'a b': { c: 2 } })).toEqual(['["a b"].c: expected 1, got 2']);
  });

  test('the resolved expected value holds what each placeholder matched, and nothing else changes', () => {
    const comparison = compareValues(
      { token: '{string}', id: '{uuid}', n: 1, nested: [{ x: '{number}' }] },
      { id: 'not-a-uuid', n: 2, token: 'abc', nested: [{ x: 7 }] },
    );
    expect(comparison.expected).toEqual({ token: 'abc', id: '{uuid}', n: 1, nested: [{ x: 7 }] });
    // The actual value is laid out in the expected key order, so line diffs line up.
    expect(Object.keys(comparison.actual as object)).toEqual(['token', 'id', 'n', 'nested']);
  });

  test('a partial comparison looks only at the keys it names, each compared whole', () => {
    const state = { logged_in: true, username: 'test', profile: { name: 'T', age: 3 } };
    expect(comparePartial({ logged_in: true }, state, 'state').mismatches).toEqual([]);
    const comparison = comparePartial({ profile: { name: 'T' } }, state, 'state');
    expect(comparison.mismatches.map(describeMismatch)).toEqual(['state.profile.age: unexpected key, got 3']);
    expect(comparison.actual).toEqual({ profile: { name: 'T', age: 3 } });
  });

  test('a partial comparison with a missing key says so', () => {
    expect(comparePartial({ lives: '{number}' }, {}, 'state').mismatches.map(describeMismatch)).toEqual([
      'state.lives: missing (expected {number})',
    ]);
  });
});
