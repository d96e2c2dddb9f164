/**
 * Matching the events a command fired against the events a story expects: exactly, in order, none
 * missing and none extra. Expected and fired events are aligned by stream and name first (the
 * longest common subsequence), so that one extra or missing event is reported as that one event
 * rather than as every later event being off by one.
 */
import type { StoredEvent } from '../index.js';
import { formatShort, indexPath, propertyPath } from './format.js';
import { compareValues, comparePartial, type Comparison, type Mismatch } from './match.js';

/** An event a story expects the command to fire. */
export interface ExpectedEvent<Name extends string = string, Data = unknown> {
  readonly name: Name;
  /** The event's data, matched exactly, placeholders aside. Omitted: the data is not asserted. */
  readonly data?: Data;
  /** The stream the event was fired into. Omitted: the actor under test's. */
  readonly stream?: string;
  /** Matched on the keys it names only: the library adds its own (`actor`, causation ids). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

export function compareEvents(
  expected: readonly ExpectedEvent[],
  fired: readonly StoredEvent[],
  actorStream: string,
): Comparison {
  const mismatches: Mismatch[] = [];
  const resolved: unknown[] = [];
  const shown: unknown[] = [];
  const pairs = alignEvents(expected, fired, actorStream);
  for (const pair of pairs) {
    if (pair.fired === undefined) {
      const event = pair.expected!;
      mismatches.push({
        path: '',
        problem: `missing event [${pair.expectedIndex}] named ${describe(event, actorStream)}`,
      });
      resolved.push(event);
    } else if (pair.expected === undefined) {
      const event = pair.fired;
      mismatches.push({
        path: '',
        problem: `unexpected event [${pair.firedIndex}] ${describe(event, actorStream)} ${formatShort(event.data)}`,
      });
      shown.push(project(event, actorStream));
    } else {
      const comparison = compareEvent(
        pair.expected,
        pair.fired,
        indexPath('', pair.expectedIndex!),
        actorStream,
      );
      // Paths follow the expected list; say where the event was fired when that differs.
      const firedAt = pair.firedIndex === pair.expectedIndex ? '' : ` (fired event [${pair.firedIndex}])`;
      for (const mismatch of comparison.mismatches) {
        mismatches.push({ path: mismatch.path, problem: mismatch.problem + firedAt });
      }
      resolved.push(comparison.expected);
      shown.push(comparison.actual);
    }
  }
  return { mismatches, expected: resolved, actual: shown };
}

function compareEvent(
  expected: ExpectedEvent,
  fired: StoredEvent,
  path: string,
  actorStream: string,
): Comparison {
  const mismatches: Mismatch[] = [];
  const resolved: Record<string, unknown> = {};
  const shown: Record<string, unknown> = {};
  const field = (key: string, comparison: Comparison) => {
    mismatches.push(...comparison.mismatches);
    resolved[key] = comparison.expected;
    shown[key] = comparison.actual;
  };
  field('name', compareValues(expected.name, fired.name, propertyPath(path, 'name')));
  const expectedStream = expected.stream ?? actorStream;
  if (expected.stream !== undefined || fired.stream !== expectedStream) {
    field('stream', compareValues(expectedStream, fired.stream, propertyPath(path, 'stream')));
  }
  if (expected.data === undefined) {
    // Not asserted: shown as fired on both sides, so a diff stays quiet about it.
    resolved['data'] = fired.data;
    shown['data'] = fired.data;
  } else {
    field('data', compareValues(expected.data, fired.data, propertyPath(path, 'data')));
  }
  if (expected.meta !== undefined) {
    field('meta', comparePartial(expected.meta, fired.meta, propertyPath(path, 'meta')));
  }
  return { mismatches, expected: resolved, actual: shown };
}

/** A fired event as the diff shows it: its name and data, and its stream when it is not the actor's. */
function project(event: StoredEvent, actorStream: string) {
  return {
    name: event.name,
    ...(event.stream === actorStream ? {} : { stream: event.stream }),
    data: event.data,
  };
}

function describe(event: { name: string; stream?: string }, actorStream: string): string {
  const name = JSON.stringify(event.name);
  const stream = event.stream ?? actorStream;
  return stream === actorStream ? name : `${name} in stream ${JSON.stringify(stream)}`;
}

interface Pair {
  readonly expected?: ExpectedEvent;
  readonly expectedIndex?: number;
  readonly fired?: StoredEvent;
  readonly firedIndex?: number;
}

/**
 * Pairs expected and fired events in order. Events with the same stream and name that keep their
 * order on both sides are paired first; between two such pairs, what is left on each side is
 * paired position by position (a renamed event), and the rest is missing or unexpected.
 */
function alignEvents(
  expected: readonly ExpectedEvent[],
  fired: readonly StoredEvent[],
  actorStream: string,
): Pair[] {
  const expectedKeys = expected.map((event) => `${event.stream ?? actorStream}\u0000${event.name}`);
  const firedKeys = fired.map((event) => `${event.stream}\u0000${event.name}`);
  const common: number[][] = Array.from({ length: expected.length + 1 }, () =>
    new Array<number>(fired.length + 1).fill(0),
  );
  for (let i = expected.length - 1; i >= 0; i--) {
    for (let j = fired.length - 1; j >= 0; j--) {
      common[i]![j] =
        expectedKeys[i] === firedKeys[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const pairs: Pair[] = [];
  const leftExpected: number[] = [];
  const leftFired: number[] = [];
  const flushLeftovers = () => {
    const paired = Math.min(leftExpected.length, leftFired.length);
    for (let k = 0; k < paired; k++) pairs.push(pairOf(leftExpected[k]!, leftFired[k]!));
    for (const i of leftExpected.slice(paired)) pairs.push({ expected: expected[i]!, expectedIndex: i });
    for (const j of leftFired.slice(paired)) pairs.push({ fired: fired[j]!, firedIndex: j });
    leftExpected.length = 0;
    leftFired.length = 0;
  };
  const pairOf = (i: number, j: number): Pair => ({
    expected: expected[i]!,
    expectedIndex: i,
    fired: fired[j]!,
    firedIndex: j,
  });
  let i = 0;
  let j = 0;
  while (i < expected.length || j < fired.length) {
    if (i < expected.length && j < fired.length && expectedKeys[i] === firedKeys[j]) {
      flushLeftovers();
      pairs.push(pairOf(i++, j++));
    } else if (j >= fired.length || (i < expected.length && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      leftExpected.push(i++);
    } else {
      leftFired.push(j++);
    }
  }
  flushLeftovers();
  return pairs;
}
