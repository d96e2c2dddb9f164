import { describe, expect, test } from 'vitest';
import { diffLines, diffValues } from '../../src/testing/diff.js';

describe('the line diff', () => {
  test('marks lines only in the expected value with -, only in the actual value with +', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(
      ['  a', '- b', '+ x', '  c', '+ d'].join('\n'),
    );
  });

  test('equal values print as shared lines only', () => {
    const diff = diffValues({ name: 'x', data: { a: [1, 2] } }, { name: 'x', data: { a: [1, 2] } });
    expect(diff.split('\n').every((line) => line.startsWith('  '))).toBe(true);
  });

  test('a difference deep inside a value shows as one changed line in context', () => {
    const diff = diffValues({ data: { token: '{string}', other: 1 } }, { data: { token: 42, other: 1 } });
    expect(diff).toContain("-     token: '{string}',");
    expect(diff).toContain('+     token: 42,');
    expect(diff).toContain('      other: 1');
  });
});
