/**
 * The assertions of a story's chain, checked against what the story did: every assertion is
 * checked (one failure does not hide the next), and all failures become one `AssertionError`
 * that lists every mismatch by path, then a diff per failed assertion.
 */
import type { StoredEvent } from '../index.js';
import { AssertionError } from './assertion-error.js';
import { diffValues } from './diff.js';
import { compareEvents, type ExpectedEvent } from './events.js';
import { formatShort } from './format.js';
import { compareValues, comparePartial, describeMismatch, type Comparison } from './match.js';
import { compareThrown, describeError, type Outcome, type ThrownExpectation } from './throws.js';

/** What the chain asserts; each at most once. */
export interface Assertions {
  events?: readonly ExpectedEvent[];
  state?: Readonly<Record<string, unknown>>;
  returned?: { readonly value: unknown };
  thrown?: ThrownExpectation;
}

/** What the story did, as the assertions see it. */
export interface StoryFacts {
  /** The actor under test's id: its stream, and the stream of an expected event naming none. */
  readonly actorId: string;
  readonly className: string;
  readonly method: string;
  /** The streams whose fired events were read back. */
  readonly streams: readonly string[];
  readonly fired: readonly StoredEvent[];
  readonly state: object;
  readonly outcome: Outcome;
}

/** One failed assertion of the chain. */
interface Failure {
  readonly operator: 'Then' | 'AndState' | 'AndReturns' | 'ThenThrows';
  readonly key: 'events' | 'state' | 'returned' | 'thrown';
  readonly title: string;
  readonly comparison: Comparison;
}

/** Checks every assertion of the chain; `undefined` when they all hold. */
export function assertionFailure(
  story: string,
  assertions: Assertions,
  facts: StoryFacts,
): AssertionError | undefined {
  const { events, state, returned, thrown } = assertions;
  const command = `${facts.className}.${facts.method}()`;
  const checked: Failure[] = [];
  if (events !== undefined) {
    const streams = facts.streams.map((stream) => JSON.stringify(stream)).join(', ');
    checked.push({
      operator: 'Then',
      key: 'events',
      title: `events fired into ${streams}`,
      comparison: compareEvents(events, facts.fired, facts.actorId),
    });
  }
  if (state !== undefined) {
    checked.push({
      operator: 'AndState',
      key: 'state',
      title: `state of ${facts.className} "${facts.actorId}"`,
      comparison: comparePartial(state, facts.state, 'state'),
    });
  }
  if (returned !== undefined) {
    checked.push({
      operator: 'AndReturns',
      key: 'returned',
      title: `value returned by ${command}`,
      comparison: compareReturned(returned.value, facts.outcome, command),
    });
  }
  if (thrown !== undefined) {
    checked.push({
      operator: 'ThenThrows',
      key: 'thrown',
      title: `error thrown by ${command}`,
      comparison: compareThrown(thrown, facts.outcome),
    });
  }
  const failures = checked.filter((failure) => failure.comparison.mismatches.length > 0);
  return failures.length === 0 ? undefined : assertionErrorOf(story, failures);
}

function compareReturned(expected: unknown, outcome: Outcome, command: string): Comparison {
  if (!outcome.threw) return compareValues(expected, outcome.returned, 'returned');
  return {
    mismatches: [
      {
        path: 'returned',
        problem: `expected ${formatShort(expected)}, but ${command} threw ${describeError(outcome.error)}`,
      },
    ],
    expected,
    actual: undefined,
  };
}

function assertionErrorOf(story: string, failures: readonly Failure[]): AssertionError {
  const mismatches = failures.flatMap((failure) => failure.comparison.mismatches.map(describeMismatch));
  const diffs = failures.map(
    (failure) =>
      `${failure.operator}: ${failure.title} (- expected, + actual)\n${indent(
        diffValues(failure.comparison.expected, failure.comparison.actual),
        '  ',
      )}`,
  );
  const message = [story, indent(mismatches.join('\n'), '  '), '', indent(diffs.join('\n\n'), '  ')].join(
    '\n',
  );
  const [only] = failures;
  if (failures.length === 1 && only !== undefined) {
    return new AssertionError({
      message,
      expected: only.comparison.expected,
      actual: only.comparison.actual,
      operator: only.operator,
    });
  }
  return new AssertionError({
    message,
    expected: Object.fromEntries(failures.map((failure) => [failure.key, failure.comparison.expected])),
    actual: Object.fromEntries(failures.map((failure) => [failure.key, failure.comparison.actual])),
    operator: 'Given',
  });
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}
