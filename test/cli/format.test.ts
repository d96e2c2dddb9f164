import { describe, expect, it } from 'vitest';
import { table, truncate } from '../../src/cli/format.js';

describe('truncate', () => {
  it('keeps text that fits and cuts the rest with an ellipsis, by characters', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('ééééé', 4)).toBe('ééé…');
    expect(truncate('abc', 0)).toBe('');
  });
});

describe('table', () => {
  it('pads columns to their widest cell and cuts the last one to the width', () => {
    const text = table(
      ['A', 'LONGER', 'DATA'],
      [
        ['1', 'x', '{"a":1}'],
        ['22', 'yy', 'z'.repeat(50)],
      ],
      20,
    );
    expect(text.split('\n')).toEqual([
      'A   LONGER  DATA',
      '1   x       {"a":1}',
      `22  yy      ${'z'.repeat(7)}…`,
      '',
    ]);
  });
});
