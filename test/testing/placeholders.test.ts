import { describe, expect, test } from 'vitest';
import { inspect } from 'node:util';
import {
  PLACEHOLDERS,
  isIsoDateTime,
  isPlaceholder,
  satisfiesPlaceholder,
} from '../../src/testing/placeholders.js';

describe('placeholders', () => {
  test('only the eight placeholder strings are placeholders', () => {
    expect(PLACEHOLDERS).toHaveLength(8);
    for (const placeholder of PLACEHOLDERS) expect(isPlaceholder(placeholder)).toBe(true);
    expect(isPlaceholder('{strings}')).toBe(false);
    expect(isPlaceholder('string')).toBe(false);
    expect(isPlaceholder(undefined)).toBe(false);
  });

  test.each([
    ['{string}', ['', 'abc'], [1, null, undefined, {}]],
    ['{number}', [0, -1.5, Infinity], ['1', NaN, null]],
    ['{boolean}', [true, false], [0, 'true', null]],
    ['{object}', [{}, { a: 1 }, Object.create(null)], [null, [], new Date(), new Map(), 'x']],
    ['{array}', [[], [1, 'a']], [{}, 'abc', { length: 0 }]],
    [
      '{uuid}',
      ['0b6c6e1a-86a3-4c1e-9a0f-0c1d2e3f4a5b', '0190F3E2-6B7A-7C8D-9E0F-A1B2C3D4E5F6'],
      ['0b6c6e1a86a34c1e9a0f0c1d2e3f4a5b', '0b6c6e1a-86a3-4c1e-9a0f-0c1d2e3f4a5', 42],
    ],
    [
      '{date}',
      ['2024-01-01T00:00:00.000Z', '2024-02-29T23:59:59+01:00', '2024-01-01T10:00', new Date(0)],
      [
        '2024-01-01',
        '2024-02-30T00:00:00Z',
        '2023-02-29T00:00:00Z',
        'yesterday',
        new Date(NaN),
        1704067200000,
      ],
    ],
    ['{any}', [null, undefined, 0, '', {}, []], []],
  ] as const)('%s', (placeholder, accepted, refused) => {
    for (const value of accepted) expect(satisfiesPlaceholder(placeholder, value), inspect(value)).toBe(true);
    for (const value of refused) expect(satisfiesPlaceholder(placeholder, value), inspect(value)).toBe(false);
  });

  test('{date} refuses times no Date can hold', () => {
    expect(isIsoDateTime('2024-01-01T24:00:00Z')).toBe(false);
    expect(isIsoDateTime('2024-01-01T23:60:00Z')).toBe(false);
    expect(isIsoDateTime('2024-13-01T00:00:00Z')).toBe(false);
    expect(isIsoDateTime('+002024-01-01T00:00:00.000Z')).toBe(true);
  });
});
