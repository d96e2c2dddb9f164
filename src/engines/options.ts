/**
 * The options of the engine calls, resolved and checked the same way by every engine, so that
 * all of them read the same range for the same options and refuse the same mistakes with the
 * same `UsageError`. Ranges are lenient where a caller's arithmetic can overshoot (a `fromVersion`
 * below 1 reads from the start) and strict about types (a limit that is not a whole number is a bug).
 * Options that cannot even be read (a getter or a Proxy that throws) are refused with `UsageError`
 * too (`readOptions`): nothing a caller passes escapes as an untyped error.
 */
import { messageOf, OmniscientError, UsageError } from '../errors.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../events/json-data.js';
import { isWellFormedText } from '../events/names.js';
import { describeValue } from './describe-value.js';
import { DEFAULT_MAX_SNAPSHOT_BYTES } from './snapshot-rules.js';
import type {
  ListStreamsOptions,
  NotificationListener,
  ReadAllOptions,
  ReadStreamOptions,
  StoreOptions,
  SubscribeOptions,
} from './engine.js';

/** How many events `readAll`, and how many streams `listStreams`, return when no limit is given. */
export const DEFAULT_PAGE_SIZE = 1000;

export interface ResolvedStoreOptions {
  readonly maxEventBytes: number;
  readonly maxSnapshotBytes: number;
  readonly now: () => Date;
}

export function resolveStoreOptions(options: StoreOptions | null | undefined): ResolvedStoreOptions {
  return readOptions('the store options', () => resolveStoreOptionsNow(options));
}

function resolveStoreOptionsNow(options: StoreOptions | null | undefined): ResolvedStoreOptions {
  const maxEventBytes = byteLimit(options?.maxEventBytes, 'maxEventBytes', DEFAULT_MAX_EVENT_BYTES);
  const maxSnapshotBytes = byteLimit(
    options?.maxSnapshotBytes,
    'maxSnapshotBytes',
    DEFAULT_MAX_SNAPSHOT_BYTES,
  );
  const now = options?.now ?? (() => new Date());
  if (typeof now !== 'function') throw new UsageError('now must be a function returning a Date');
  return { maxEventBytes, maxSnapshotBytes, now };
}

function byteLimit(value: unknown, name: string, fallback: number): number {
  const limit = value ?? fallback;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new UsageError(`${name} must be a whole number >= 1, got ${describeValue(limit)}`);
  }
  return limit;
}

/**
 * Runs `resolve`, turning anything but the library's own errors (a getter or Proxy of the caller's
 * that throws while its options are read) into `UsageError`.
 */
/**
 * How long an engine that talks to a server retries one it cannot reach: a whole number of
 * milliseconds >= 0, `fallback` when not given; anything else is a `UsageError`.
 */
export function resolveConnectionRetryMs(value: unknown, fallback: number): number {
  const retryMs = value ?? fallback;
  if (typeof retryMs !== 'number' || !Number.isSafeInteger(retryMs) || retryMs < 0) {
    throw new UsageError(`connectionRetryMs must be a whole number >= 0, got ${describeValue(retryMs)}`);
  }
  return retryMs;
}

export function readOptions<T>(what: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof OmniscientError) throw error;
    throw new UsageError(`${what} could not be read: ${messageOf(error)}`, { cause: error });
  }
}

export function requireStreamArgument(stream: unknown): asserts stream is string {
  // Any string is accepted: one that could never be appended to simply has no events.
  if (typeof stream !== 'string') throw new UsageError(`a stream id must be a string, got ${typeof stream}`);
}

export function requireSnapshotKeyArgument(key: unknown): asserts key is string {
  // As with stream ids, any string is accepted: a key no snapshot could have simply finds none.
  if (typeof key !== 'string')
    throw new UsageError(`a snapshot key must be a string, got ${describeValue(key)}`);
}

export interface VersionRange {
  readonly fromVersion: number;
  /** Inclusive; `Number.MAX_SAFE_INTEGER` when open-ended. */
  readonly toVersion: number;
  /** `Number.MAX_SAFE_INTEGER` when unlimited. */
  readonly limit: number;
}

export function resolveReadStream(options: ReadStreamOptions | undefined): VersionRange {
  return readOptions('the readStream options', () => ({
    fromVersion: Math.max(1, wholeNumber(options?.fromVersion, 'fromVersion', 1)),
    toVersion: wholeNumber(options?.toVersion, 'toVersion', Number.MAX_SAFE_INTEGER),
    limit: Math.max(0, wholeNumber(options?.limit, 'limit', Number.MAX_SAFE_INTEGER)),
  }));
}

export interface ResolvedReadAll {
  readonly after: number;
  readonly limit: number;
  /** Distinct names, or `undefined` for every name. An empty list matches no event. */
  readonly names: readonly string[] | undefined;
}

export function resolveReadAll(options: ReadAllOptions | undefined): ResolvedReadAll {
  return readOptions('the readAll options', () => resolveReadAllNow(options));
}

function resolveReadAllNow(options: ReadAllOptions | undefined): ResolvedReadAll {
  const names = options?.names;
  if (names !== undefined) {
    if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
      throw new UsageError('names must be an array of event names');
    }
  }
  return {
    after: Math.max(0, wholeNumber(options?.after, 'after', 0)),
    limit: Math.max(0, wholeNumber(options?.limit, 'limit', DEFAULT_PAGE_SIZE)),
    names: names === undefined ? undefined : [...new Set(names)],
  };
}

export interface ResolvedListStreams {
  /** Exclusive; `undefined` to start at the first stream. */
  readonly after: string | undefined;
  readonly limit: number;
  /** `''` for every stream. */
  readonly prefix: string;
}

/**
 * `after` and `prefix` must be well-formed text: a lone surrogate is in no stream id (they are
 * refused on append), and each engine would order it differently (UTF-16 units, UTF-8 with a
 * replacement character, an encoding error), so it has no one answer to give.
 */
export function resolveListStreams(options: ListStreamsOptions | undefined): ResolvedListStreams {
  return readOptions('the listStreams options', () => {
    const after: unknown = options?.after;
    const prefix: unknown = options?.prefix ?? '';
    if (after !== undefined && (typeof after !== 'string' || !isWellFormedText(after))) {
      throw new UsageError(`after must be a stream id (well-formed text), got ${describeValue(after)}`);
    }
    if (typeof prefix !== 'string' || !isWellFormedText(prefix)) {
      throw new UsageError(`prefix must be well-formed text, got ${describeValue(prefix)}`);
    }
    return { after, limit: Math.max(0, wholeNumber(options?.limit, 'limit', DEFAULT_PAGE_SIZE)), prefix };
  });
}

export interface ResolvedSubscribe {
  /** The position to follow from (exclusive); `undefined` for "from the end, when established". */
  readonly after: number | undefined;
  /** The caller's error hook, guarded: it never throws, whatever the hook does. */
  readonly onError: (error: unknown) => void;
}

/**
 * The one rule for `subscribe` on every engine: the listener must be a function, `after` a whole
 * number >= 0 (no lenient clamping here: a subscription that silently starts elsewhere than asked
 * would deliver different events per engine), and `onError` a function if given. A hook that
 * throws is swallowed: a subscription has nobody else to tell, and must not stop delivering.
 */
export function resolveSubscribe(
  listener: NotificationListener,
  options: SubscribeOptions | undefined,
): ResolvedSubscribe {
  return readOptions('the subscribe options', () => resolveSubscribeNow(listener, options));
}

function resolveSubscribeNow(
  listener: NotificationListener,
  options: SubscribeOptions | undefined,
): ResolvedSubscribe {
  if (typeof listener !== 'function') {
    throw new UsageError(`subscribe needs a listener function, got ${describeValue(listener)}`);
  }
  const after: unknown = options?.after;
  if (after !== undefined && (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)) {
    throw new UsageError(`after must be a whole number >= 0, got ${describeValue(after)}`);
  }
  const hook: unknown = options?.onError;
  if (hook !== undefined && typeof hook !== 'function') {
    throw new UsageError(`onError must be a function, got ${describeValue(hook)}`);
  }
  const onError = (error: unknown): void => {
    try {
      (hook as ((error: unknown) => void) | undefined)?.(error);
    } catch {
      // An error hook that throws has nobody left to tell.
    }
  };
  return { after, onError };
}

/**
 * Compares stream ids by Unicode code point, which is the order of their UTF-8 bytes: the order
 * SQLite, PostgreSQL (collation "C") and Redis sort in. JavaScript's `<` compares UTF-16 units,
 * which puts U+E000–U+FFFF after the characters beyond U+FFFF; this undoes that.
 */
export function compareCodePoints(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a !== b) return codePointRank(a) - codePointRank(b);
  }
  return left.length - right.length;
}

// Surrogates (U+D800–U+DFFF) encode code points above U+FFFF, so they must rank above U+E000–U+FFFF.
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function wholeNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new UsageError(`${name} must be a whole number, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The smallest id above every id that starts with `prefix` (in code point order), so that a prefix
 * becomes an index range `prefix <= id < bound`; `undefined` when there is no such bound.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = (codePoints.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) {
      // The surrogate block is not made of characters: the next character after U+D7FF is U+E000.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return codePoints.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
