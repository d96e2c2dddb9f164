/**
 * The wire form of a group of appends: the append function's parameters, built as parallel arrays
 * (one entry per distinct stream, per append, per event or per notification; data and meta as JSON
 * arrays), so that a group of any size is one statement with thirteen bind parameters, its text
 * never interpolated; and the reading of the function's answer.
 */
import { StoreUnavailableError } from '../../errors.js';
import type { ExpectedVersion } from '../../errors.js';
import type { PendingAppend, RawAnswer } from './group-commit.js';
import { payloadBodies } from './notification-payload.js';

/** How the function's `p_expected` encodes an expected version: NULL for any, -1 for an existing stream. */
export function encodeExpected(expected: ExpectedVersion): number | null {
  if (expected === 'any') return null;
  if (expected === 'exists') return -1;
  if (expected === 'no-stream') return 0;
  return expected;
}

/** The function's parameters for `group`, in the order of `appendCallText`. */
export function encodeGroup(group: readonly PendingAppend[]): unknown[] {
  const slots = new Map<string, number>();
  const streams: string[] = [];
  const appendSlots: number[] = [];
  const counts: number[] = [];
  const expected: (number | null)[] = [];
  const terms: (number | null)[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  const data: string[] = [];
  const meta: string[] = [];
  const at: string[] = [];
  const noteAppends: number[] = [];
  const noteOffsets: number[] = [];
  const noteBodies: string[] = [];
  for (const [index, append] of group.entries()) {
    let slot = slots.get(append.stream);
    if (slot === undefined) {
      streams.push(append.stream);
      slot = streams.length;
      slots.set(append.stream, slot);
    }
    appendSlots.push(slot);
    counts.push(append.events.length);
    expected.push(encodeExpected(append.expected));
    terms.push(append.fencingTerm ?? null);
    for (const event of append.events) {
      ids.push(event.id);
      names.push(event.name);
      data.push(event.dataJson);
      meta.push(event.metaJson);
      at.push(event.at);
    }
    for (const body of payloadBodies(append.stream, append.events)) {
      noteAppends.push(index + 1);
      noteOffsets.push(body.offset);
      noteBodies.push(body.text);
    }
  }
  return [
    streams,
    appendSlots,
    counts,
    expected,
    terms,
    ids,
    names,
    // Each element is JSON already: joined, they make a JSON array with no escaping at all, where
    // an array literal would escape every quote and backslash of megabytes of data.
    `[${data.join(',')}]`,
    `[${meta.join(',')}]`,
    at,
    noteAppends,
    noteOffsets,
    noteBodies,
  ];
}

/**
 * The lean function's parameters for a group of one append, in the order of `appendOneCallText`;
 * `signal` asks it to say when it holds the position lock.
 */
export function encodeOne(append: PendingAppend, signal: boolean): unknown[] {
  const { events } = append;
  const ids: string[] = [];
  const names: string[] = [];
  const data: string[] = [];
  const meta: string[] = [];
  const at: string[] = [];
  for (const event of events) {
    ids.push(event.id);
    names.push(event.name);
    data.push(event.dataJson);
    meta.push(event.metaJson);
    at.push(event.at);
  }
  const bodies = payloadBodies(append.stream, events);
  return [
    append.stream,
    encodeExpected(append.expected),
    append.fencingTerm ?? null,
    ids,
    names,
    `[${data.join(',')}]`,
    `[${meta.join(',')}]`,
    at,
    bodies.map((body) => body.offset),
    bodies.map((body) => body.text),
    signal,
  ];
}

/** The lean function's answer row, `(status, value, first position, duplicate id)`, each as text. */
export function decodeOne(row: readonly (string | null)[] | undefined): RawAnswer {
  const [status, value, firstPosition, duplicate] = row ?? [];
  const number = (text: string | null | undefined): number | null => {
    if (text === null || text === undefined) return null;
    const parsed = Number(text);
    if (!Number.isSafeInteger(parsed)) {
      throw new StoreUnavailableError(`the append function answered ${JSON.stringify(row)}`);
    }
    return parsed;
  };
  const code = number(status);
  if (code === null) throw new StoreUnavailableError(`the append function answered ${JSON.stringify(row)}`);
  return [code, number(value), number(firstPosition), duplicate ?? null];
}

/**
 * The function's answer, `[statuses, values, duplicate ids, places, first position]` (one entry
 * per append in each list), as one `[status, value, first position, duplicate id]` per append.
 */
export function decodeAnswers(text: string | null | undefined): RawAnswer[] {
  let answer: unknown;
  try {
    answer = JSON.parse(text ?? '');
  } catch (error) {
    throw new StoreUnavailableError(`the append function answered ${JSON.stringify(text)}, not JSON`, {
      cause: error,
    });
  }
  const [statuses, values, duplicates, places, firstPosition] = Array.isArray(answer) ? answer : [];
  if (
    !Array.isArray(statuses) ||
    !Array.isArray(values) ||
    !Array.isArray(duplicates) ||
    !Array.isArray(places) ||
    !(firstPosition === null || typeof firstPosition === 'number')
  ) {
    throw new StoreUnavailableError(`the append function answered ${String(text).slice(0, 200)}`);
  }
  return statuses.map((status: unknown, index): RawAnswer => {
    const value: unknown = values[index] ?? null;
    const duplicate: unknown = duplicates[index] ?? null;
    const place: unknown = places[index] ?? null;
    if (
      typeof status !== 'number' ||
      !(value === null || typeof value === 'number') ||
      !(duplicate === null || typeof duplicate === 'string') ||
      !(place === null || typeof place === 'number')
    ) {
      throw new StoreUnavailableError(`the append function answered ${String(text).slice(0, 200)}`);
    }
    const position = place === null || firstPosition === null ? null : firstPosition + place;
    return [status, value, position, duplicate];
  });
}
