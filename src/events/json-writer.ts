/**
 * The one walk that checks a value against the JSON-safety rules and writes its JSON text.
 *
 * Guarantee: the text is built from the very values the walk checked, each property read once (a
 * property named `toJSON` is also looked up as a method), so a getter, a `Proxy` or a `toJSON` cannot
 * make the stored text differ from what was checked. The text is what `JSON.stringify` would give
 * for the values read, but `JSON.stringify` never reads the caller's data itself. Nothing but a
 * `JsonRefusal` escapes: a value the rules refuse or an exception thrown while reading (a getter, a
 * proxy trap), nesting too deep (or a cycle), or a text that outgrew the caller's limit.
 *
 * The walk keeps no path and no record of the objects it is inside: that costs on every event, and
 * is needed only to report a problem. A refusal collects its path as it unwinds, and the depth limit
 * is what stops a cycle; the cycle is then found among the objects the refusal unwound through.
 */
import { isoDateText } from './iso-date-text.js';

/** The deepest nesting of arrays and objects inside one another that event data may have. */
export const MAX_JSON_DEPTH = 256;

/** Why a walk stopped: a refused value, data nested too deep (or a cycle), or text over the limit. */
export type RefusalKind = 'refused' | 'too-deep' | 'too-large';

/** A refusal on its way up the walk, gathering the path to the value it is about. */
export class JsonRefusal extends Error {
  /** Path segments from the refused value up to the root (`.key`, `["odd key"]`, `[3]`). */
  readonly segments: string[] = [];
  /** The arrays and objects unwound through, from the refused value up to the root. */
  readonly containers: unknown[] = [];

  constructor(
    readonly kind: RefusalKind,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    refusals.add(this);
  }
}

/**
 * The refusals made by this walk. Asking this set, not `instanceof`, is what tells them from what a
 * getter threw: `instanceof` on a thrown revoked Proxy would itself throw.
 */
const refusals = new WeakSet<object>();

const hasOwnProperty = Object.prototype.hasOwnProperty;
const dateToJson = Date.prototype.toJSON;
const dateTime = Date.prototype.getTime;

/** The text written so far, and how long it may grow (UTF-16 units). */
interface JsonText {
  text: string;
  readonly limit: number;
}

/**
 * The JSON text of `value` (not `undefined`), whose text must stay within `limit` UTF-16 units.
 * Throws only `JsonRefusal`.
 */
export function writeJson(value: unknown, limit: number): string {
  const out: JsonText = { text: '', limit };
  try {
    writeValue(value, 0, out);
  } catch (error) {
    throw asRefusal(error);
  }
  return out.text;
}

function writeValue(value: unknown, depth: number, out: JsonText): void {
  switch (typeof value) {
    case 'string':
      out.text += quoted(value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw refusal(`is ${value}, which JSON cannot hold`);
      out.text += String(value);
      return;
    case 'boolean':
      out.text += value ? 'true' : 'false';
      return;
    case 'object':
      if (value === null) out.text += 'null';
      else if (depth === MAX_JSON_DEPTH) throw tooDeep(value);
      else if (Array.isArray(value)) writeArray(value, depth + 1, out);
      else if (value instanceof Date) out.text += dateText(value);
      else writeObject(value, depth + 1, out);
      return;
    case 'bigint':
      throw refusal('is a BigInt, which JSON cannot hold (store it as a string)');
    case 'symbol':
      throw refusal('is a symbol, which JSON cannot hold');
    case 'function':
      throw refusal('is a function, which JSON cannot hold');
    default:
      throw refusal('is undefined, which JSON cannot hold');
  }
}

function writeArray(array: unknown[], depth: number, out: JsonText): void {
  refuseToJson(array);
  const length = array.length;
  out.text += '[';
  for (let index = 0; index < length; index++) {
    if (index > 0) out.text += ',';
    try {
      const element: unknown = array[index];
      if (element === undefined) {
        throw refusal('is undefined (or a hole), which JSON would turn into null');
      }
      writeValue(element, depth, out);
    } catch (error) {
      throw within(error, `[${index}]`, array);
    }
    if (out.text.length > out.limit) throw tooLarge();
  }
  out.text += ']';
}

function writeObject(object: object, depth: number, out: JsonText): void {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw refusal(`is an instance of ${kind}; only plain objects, arrays and Dates are stored`);
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw refusal('has symbol keys, which JSON would drop');
  }
  refuseToJson(object);
  let separator = '{';
  for (const key in object) {
    if (!hasOwnProperty.call(object, key)) continue;
    try {
      const property: unknown = (object as Record<string, unknown>)[key];
      // Omitted, as JSON.stringify omits it.
      if (property === undefined) continue;
      out.text += `${separator}${quotedKey(key)}:`;
      writeValue(property, depth, out);
    } catch (error) {
      throw within(error, propertyPath(key), object);
    }
    separator = ',';
    if (out.text.length > out.limit) throw tooLarge();
  }
  out.text += separator === '{' ? '{}' : '}';
}

/**
 * A Date is stored as its ISO string, by the built-in methods: a subclass or an own property cannot
 * change what is written, and a `toJSON` other than Date's is refused as everywhere else.
 */
function dateText(date: Date): string {
  refuseToJson(date, dateToJson);
  let time: number;
  try {
    time = dateTime.call(date);
  } catch (error) {
    throw refusal('is not a real Date (it only inherits from Date.prototype)', error);
  }
  if (Number.isNaN(time)) throw refusal('is an invalid Date');
  return `"${isoDateText(date, time)}"`;
}

/**
 * JSON.stringify would call a `toJSON` method (own or inherited, enumerable or not) and store what it
 * returns instead of the value: only plain data is stored, so it is refused.
 */
function refuseToJson(value: object, allowed?: unknown): void {
  let toJson: unknown;
  try {
    toJson = (value as { toJSON?: unknown }).toJSON;
  } catch (error) {
    throw within(error, '.toJSON', value);
  }
  if (typeof toJson === 'function' && toJson !== allowed) {
    const reason = 'is a toJSON function, which JSON.stringify would call instead of storing the data';
    throw within(refusal(reason), '.toJSON', value);
  }
}

function refusal(reason: string, cause?: unknown): JsonRefusal {
  return new JsonRefusal('refused', reason, cause === undefined ? undefined : { cause });
}

function tooDeep(value: object): JsonRefusal {
  const error = new JsonRefusal('too-deep', `is nested more than ${MAX_JSON_DEPTH} arrays or objects deep`);
  error.containers.push(value);
  return error;
}

function tooLarge(): JsonRefusal {
  return new JsonRefusal('too-large', 'is too large');
}

/** Any exception from reading the data (a getter, a proxy trap) becomes a refusal at that path. */
function asRefusal(error: unknown): JsonRefusal {
  if (typeof error === 'object' && error !== null && refusals.has(error)) return error as JsonRefusal;
  return refusal(`could not be read: ${describe(error)}`, error);
}

/** What was thrown, in words; whatever it is, describing it must not throw in turn. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'it threw something that cannot be described';
  }
}

function within(error: unknown, segment: string, container: object): JsonRefusal {
  const refused = asRefusal(error);
  if (refused.kind !== 'too-large') {
    refused.segments.push(segment);
    refused.containers.push(container);
  }
  return refused;
}

/** What JSON.stringify escapes in a string: quotes, backslashes, controls and lone surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `text` as a JSON string: most strings need no escape, and are quoted faster than JSON.stringify does. */
function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Keys as JSON strings. Events of one kind repeat the same few keys, and quoting is a good part of
 * the cost of a small event; the cache is emptied when full, so odd keys cannot grow it for good.
 */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size === QUOTED_KEYS_MAX) quotedKeys.clear();
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function propertyPath(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
