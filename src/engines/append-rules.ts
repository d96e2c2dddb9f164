/**
 * The rules every engine applies to an append before it touches storage, so that all engines
 * refuse the same inputs with the same errors: stream id and event names, JSON safety and size,
 * ids, times, and the expected-version check.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, FencedError, InvalidEventError, type ExpectedVersion } from '../errors.js';
import type { NewEvent } from '../events/envelope.js';
import { encodeJson } from '../events/json-data.js';
import { isWellFormedText, validateEventName, validateStreamId } from '../events/names.js';

/** An event checked and encoded, ready to be written. */
export interface PreparedEvent {
  readonly id: string;
  readonly name: string;
  readonly dataJson: string;
  readonly metaJson: string;
  readonly at: string;
}

export const MAX_EVENT_ID_LENGTH = 128;

export function prepareEvents(
  stream: string,
  events: readonly NewEvent[],
  maxEventBytes: number,
  now: () => Date,
): PreparedEvent[] {
  validateStreamId(stream);
  if (!Array.isArray(events)) throw new InvalidEventError('events', 'must be an array');
  const prepared: PreparedEvent[] = new Array(events.length);
  const seen = events.length > 1 ? new Set<string>() : undefined;
  let defaultAt: string | undefined;
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const path = `events[${index}]`;
    if (typeof event !== 'object' || event === null) throw new InvalidEventError(path, 'must be an object');
    validateEventName(event.name, `${path}.name`);
    const id = event.id ?? randomUUID();
    if (
      typeof id !== 'string' ||
      id.length === 0 ||
      id.length > MAX_EVENT_ID_LENGTH ||
      !isWellFormedText(id)
    ) {
      throw new InvalidEventError(
        `${path}.id`,
        `must be well-formed text of 1 to ${MAX_EVENT_ID_LENGTH} characters`,
      );
    }
    if (seen) {
      if (seen.has(id)) throw new InvalidEventError(`${path}.id`, `"${id}" appears twice in one append`);
      seen.add(id);
    }
    const meta = event.meta ?? {};
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw new InvalidEventError(`${path}.meta`, 'must be a plain object');
    }
    prepared[index] = {
      id,
      name: event.name,
      dataJson: encodeJson(event.data, `${path}.data`, maxEventBytes),
      metaJson: encodeJson(meta, `${path}.meta`, maxEventBytes),
      at: event.at === undefined ? (defaultAt ??= now().toISOString()) : isoTime(event.at, `${path}.at`),
    };
  }
  return prepared;
}

function isoTime(at: string | Date, path: string): string {
  const date = at instanceof Date ? at : typeof at === 'string' ? new Date(at) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new InvalidEventError(path, 'must be a valid Date or ISO-8601 string');
  }
  return date.toISOString();
}

/** Validates an expected version given by a caller (before any I/O). */
export function validateExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidEventError(
    'expectedVersion',
    `must be 'any', 'no-stream', 'exists' or a whole number >= 0, got ${JSON.stringify(expected)}`,
  );
}

/** Throws `ConcurrencyError` unless a stream at `actual` satisfies `expected`. */
export function checkExpectedVersion(stream: string, expected: ExpectedVersion, actual: number): void {
  const holds =
    expected === 'any' ||
    (expected === 'no-stream' && actual === 0) ||
    (expected === 'exists' && actual > 0) ||
    expected === actual;
  if (!holds) throw new ConcurrencyError(stream, expected, actual);
}

/** Validates a fencing term given by a caller (before any I/O); `undefined` means no fence. */
export function validateFencingTerm(term: unknown): asserts term is number | undefined {
  if (term === undefined) return;
  if (typeof term === 'number' && Number.isSafeInteger(term) && term >= 1) return;
  throw new InvalidEventError('fencingTerm', `must be a whole number >= 1, got ${JSON.stringify(term)}`);
}

/** Throws `FencedError` when a stream last written with `currentTerm` must refuse `term`. */
export function checkFencingTerm(stream: string, term: number | undefined, currentTerm: number): void {
  if (term !== undefined && term < currentTerm) throw new FencedError(stream, term, currentTerm);
}
