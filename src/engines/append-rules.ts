/**
 * The rules every engine applies to an append before it touches storage, so that all engines
 * refuse the same inputs with the same errors: stream id and event names, JSON safety and size,
 * ids, times, and the expected-version check.
 */
import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  FencedError,
  InvalidEventError,
  messageOf,
  UsageError,
  type ExpectedVersion,
} from '../errors.js';
import type { NewEvent } from '../events/envelope.js';
import { asInvalidEvent, readable } from './readable.js';
import { encodedDataOf, encodedMetaOf } from '../events/encoded-event.js';
import { checkJsonSize, encodeJson } from '../events/json-data.js';
import {
  hasControlCharacter,
  isWellFormedText,
  validateEventName,
  validateStreamId,
} from '../events/names.js';
import { describeValue } from './describe-value.js';

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
  if (!readable(() => Array.isArray(events), 'events')) {
    throw new InvalidEventError('events', 'must be an array');
  }
  const count = readable(() => events.length, 'events');
  const batch: BatchState = {
    seen: count > 1 ? new Set<string>() : undefined,
    defaultAt: undefined,
    checkedName: undefined,
    maxEventBytes,
    now,
  };
  const prepared: PreparedEvent[] = new Array(count);
  // One try around the loop rather than a closure per event: this is every append's path.
  let index = 0;
  try {
    for (; index < count; index++) prepared[index] = prepareEvent(events[index], index, batch);
  } catch (error) {
    throw asInvalidEvent(error, `events[${index}]`);
  }
  return prepared;
}

/** What the events of one append share while they are prepared. */
interface BatchState {
  readonly seen: Set<string> | undefined;
  defaultAt: string | undefined;
  /** A batch usually repeats one name: a name equal to the one just checked needs no second check. */
  checkedName: unknown;
  readonly maxEventBytes: number;
  readonly now: () => Date;
}

function prepareEvent(event: NewEvent | undefined, index: number, batch: BatchState): PreparedEvent {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidEventError(`events[${index}]`, 'must be an object');
  }
  const name = event.name;
  if (name !== batch.checkedName || typeof name !== 'string') {
    validateEventName(name, `events[${index}].name`);
    batch.checkedName = name;
  }
  const id = event.id ?? randomUUID();
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > MAX_EVENT_ID_LENGTH ||
    !isWellFormedText(id) ||
    hasControlCharacter(id)
  ) {
    throw new InvalidEventError(
      `events[${index}].id`,
      `must be well-formed text of 1 to ${MAX_EVENT_ID_LENGTH} characters, with no control character`,
    );
  }
  if (batch.seen) {
    if (batch.seen.has(id)) {
      throw new InvalidEventError(`events[${index}].id`, `"${id}" appears twice in one append`);
    }
    batch.seen.add(id);
  }
  return {
    id,
    name,
    dataJson: dataJsonOf(event, index, batch.maxEventBytes),
    metaJson: metaJsonOf(event, index, batch.maxEventBytes),
    at:
      event.at === undefined
        ? (batch.defaultAt ??= clockTime(batch.now))
        : isoTime(event.at, `events[${index}].at`),
  };
}

/** The event's metadata as JSON text: the text it was encoded to when fired, or else encoded now. */
function metaJsonOf(event: NewEvent, index: number, maxEventBytes: number): string {
  const path = `events[${index}].meta`;
  const encoded = encodedMetaOf(event);
  if (encoded !== undefined) {
    checkJsonSize(encoded, path, maxEventBytes);
    return encoded;
  }
  const meta = event.meta ?? {};
  if (typeof meta !== 'object' || meta === null || readable(() => Array.isArray(meta), path)) {
    throw new InvalidEventError(path, 'must be a plain object');
  }
  return encodeJson(meta, path, maxEventBytes);
}

/**
 * The event's data as JSON text: the text it was encoded to when fired, if it was (checked again only
 * against this store's size limit), or else encoded now.
 */
function dataJsonOf(event: NewEvent, index: number, maxEventBytes: number): string {
  const encoded = encodedDataOf(event);
  if (encoded === undefined) return encodeJson(event.data, () => `events[${index}].data`, maxEventBytes);
  checkJsonSize(encoded, `events[${index}].data`, maxEventBytes);
  return encoded;
}

/**
 * `at` as `Date#toISOString()` writes it. A string already in that exact form is kept as it is:
 * parsing and formatting it again would give the same text back, at a cost that showed in the
 * appends' profile.
 */
function isoTime(at: string | Date, path: string): string {
  let iso: string;
  if (typeof at === 'string' && isCanonicalIsoTime(at)) iso = at;
  else {
    const date = at instanceof Date ? at : typeof at === 'string' ? new Date(at) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) {
      throw new InvalidEventError(path, 'must be a valid Date or ISO-8601 string');
    }
    iso = date.toISOString();
  }
  if (!isStorableTime(iso)) throw new InvalidEventError(path, `${iso} is outside the years 0001 to 9999`);
  return iso;
}

/** Every engine must keep a time as written: years 1 to 9999 are what all of them can hold. */
function isStorableTime(iso: string): boolean {
  return !iso.startsWith('0000') && CANONICAL_ISO_TIME.test(iso);
}

/**
 * The time on the store's clock (`StoreOptions.now`), as `Date#toISOString()` writes it, held to the
 * same rule as an explicit `at`: a valid `Date` in the years 0001 to 9999. A clock that breaks it is
 * a mistake in the store's options, not in the event or snapshot being written, so it is refused
 * with `UsageError` naming `now` (an `InvalidEventError` would send the caller to fix an event that
 * is fine), before anything is stored.
 */
export function clockTime(now: () => Date): string {
  let date: unknown;
  try {
    date = now();
  } catch (error) {
    throw new UsageError(`the store's clock (now) threw: ${messageOf(error)}`, { cause: error });
  }
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new UsageError(`the store's clock (now) must return a valid Date, got ${describeValue(date)}`);
  }
  const iso = date.toISOString();
  if (!isStorableTime(iso)) {
    throw new UsageError(`the store's clock (now) returned ${iso}, outside the years 0001 to 9999`);
  }
  return iso;
}

const CANONICAL_ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * True when `new Date(at).toISOString() === at`: the `YYYY-MM-DDTHH:mm:ss.sssZ` shape with every
 * field in range. Out-of-range days matter: `Date` reads February 30 as March 1, so such a string
 * goes the long way and is stored as the date it means.
 */
function isCanonicalIsoTime(at: string): boolean {
  if (!CANONICAL_ISO_TIME.test(at)) return false;
  const month = twoDigits(at, 5);
  const day = twoDigits(at, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    (day <= 28 || day <= daysInMonth(Number(at.slice(0, 4)), month)) &&
    twoDigits(at, 11) <= 23 &&
    twoDigits(at, 14) <= 59 &&
    twoDigits(at, 17) <= 59
  );
}

/** The number written by the two ASCII digits at `index` (the shape was checked already). */
function twoDigits(text: string, index: number): number {
  return (text.charCodeAt(index) - 48) * 10 + text.charCodeAt(index + 1) - 48;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Validates an expected version given by a caller (before any I/O). */
export function validateExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidEventError(
    'expectedVersion',
    `must be 'any', 'no-stream', 'exists' or a whole number >= 0, got ${describeValue(expected)}`,
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
  throw new InvalidEventError('fencingTerm', `must be a whole number >= 1, got ${describeValue(term)}`);
}

/** Throws `FencedError` when a stream last written with `currentTerm` must refuse `term`. */
export function checkFencingTerm(stream: string, term: number | undefined, currentTerm: number): void {
  if (term !== undefined && term < currentTerm) throw new FencedError(stream, term, currentTerm);
}
