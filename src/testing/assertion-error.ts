/**
 * The error a failed story throws. It has the shape test runners look for (node's `assert`,
 * chai, vitest and node:test all read `actual`, `expected`, `operator` and `showDiff`), so each
 * runner prints its own diff next to the readable message.
 */

export interface AssertionErrorOptions {
  /** The whole message: the story, every mismatch by path, then expected versus actual. */
  message: string;
  actual: unknown;
  /** The expected value with each placeholder that matched replaced by what it matched. */
  expected: unknown;
  /** Which assertion failed: `'Then'`, `'AndState'`, `'AndReturns'`, `'ThenThrows'`, or `'Given'` for several. */
  operator: string;
}

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  readonly showDiff = true;
  /** Node's own assertion errors say whether their message was generated; this one always is. */
  readonly generatedMessage = true;

  constructor(options: AssertionErrorOptions) {
    super(options.message);
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
  }
}
