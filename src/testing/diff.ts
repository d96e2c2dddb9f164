/**
 * A line diff of two values, for failure messages that stay readable in any test runner, even one
 * that prints only the message: lines only in the expected value start with `-`, lines only in the
 * actual value with `+`, shared lines with two spaces.
 */
import { formatBlock } from './format.js';

/** Beyond this many line pairs the diff is not computed; both values are printed whole instead. */
const MAX_DIFF_CELLS = 4_000_000;

export function diffValues(expected: unknown, actual: unknown): string {
  return diffLines(formatBlock(expected).split('\n'), formatBlock(actual).split('\n'));
}

export function diffLines(expected: readonly string[], actual: readonly string[]): string {
  if (expected.length * actual.length > MAX_DIFF_CELLS) {
    return [...expected.map((line) => `- ${line}`), ...actual.map((line) => `+ ${line}`)].join('\n');
  }
  // Longest common subsequence, by suffix lengths: common[i][j] is the LCS of expected[i..] and actual[j..].
  const common: number[][] = Array.from({ length: expected.length + 1 }, () =>
    new Array<number>(actual.length + 1).fill(0),
  );
  for (let i = expected.length - 1; i >= 0; i--) {
    for (let j = actual.length - 1; j >= 0; j--) {
      common[i]![j] =
        expected[i] === actual[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    if (i < expected.length && j < actual.length && expected[i] === actual[j]) {
      lines.push(`  ${expected[i]}`);
      i++;
      j++;
    } else if (j >= actual.length || (i < expected.length && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      lines.push(`- ${expected[i]}`);
      i++;
    } else {
      lines.push(`+ ${actual[j]}`);
      j++;
    }
  }
  return lines.join('\n');
}
