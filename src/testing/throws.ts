/**
 * Matching what a command threw against what a story expects it to throw: an error class, a
 * string the message contains, a pattern the message matches, or an object whose keys the error
 * must have (compared like any expected value, placeholders included).
 */
import { formatShort } from './format.js';
import { comparePartial, type Comparison } from './match.js';

/**
 * What `ThenThrows` accepts: an error class (`InvalidEventError`), a string the message must
 * contain, a RegExp the message must match, or the properties the error must have
 * (`{ code: 'INVALID_EVENT' }`, `{ name: 'TypeError', message: '{string}' }`).
 */
export type ThrownExpectation =
  (abstract new (...args: any[]) => unknown) | string | RegExp | Readonly<Record<string, unknown>>;

/** What the command did: it threw `error`, or it returned `returned`. */
export type Outcome =
  { readonly threw: true; readonly error: unknown } | { readonly threw: false; readonly returned: unknown };

export function compareThrown(expected: ThrownExpectation, outcome: Outcome): Comparison {
  if (!outcome.threw) {
    return {
      mismatches: [
        {
          path: 'thrown',
          problem: `expected ${describeExpectation(expected)}, but nothing was thrown (it returned ${formatShort(outcome.returned)})`,
        },
      ],
      expected: displayed(expected),
      actual: undefined,
    };
  }
  const { error } = outcome;
  if (typeof expected === 'function') {
    if (error instanceof expected) return agree(expected.name, expected.name);
    const actualClass = classNameOf(error);
    return {
      mismatches: [
        { path: 'thrown', problem: `expected an instance of ${expected.name}, got ${describeError(error)}` },
      ],
      expected: expected.name,
      actual: actualClass,
    };
  }
  if (typeof expected === 'string' || expected instanceof RegExp) {
    const message = messageOf(error);
    // A global or sticky pattern would start where its last test ended.
    if (expected instanceof RegExp) expected.lastIndex = 0;
    const matches = typeof expected === 'string' ? message.includes(expected) : expected.test(message);
    if (matches) return agree(message, message);
    const wanted =
      typeof expected === 'string'
        ? `to contain ${JSON.stringify(expected)}`
        : `to match ${String(expected)}`;
    return {
      mismatches: [{ path: 'thrown.message', problem: `expected ${wanted}, got ${JSON.stringify(message)}` }],
      expected: displayed(expected),
      actual: message,
    };
  }
  return comparePartial(expected as Record<string, unknown>, error, 'thrown');
}

function agree(expected: unknown, actual: unknown): Comparison {
  return { mismatches: [], expected, actual };
}

function describeExpectation(expected: ThrownExpectation): string {
  if (typeof expected === 'function') return `an instance of ${expected.name}`;
  if (typeof expected === 'string') return `an error whose message contains ${JSON.stringify(expected)}`;
  if (expected instanceof RegExp) return `an error whose message matches ${String(expected)}`;
  return `an error with ${formatShort(expected)}`;
}

/** The expectation as a diff shows it: a class by its name. */
function displayed(expected: ThrownExpectation): unknown {
  return typeof expected === 'function' ? expected.name : expected;
}

function classNameOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return typeof error;
  return (error as { constructor?: { name?: string } }).constructor?.name ?? 'Object';
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return formatShort(error);
}
