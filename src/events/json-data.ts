/**
 * JSON safety of event data and metadata. Data is checked before it is stored, so that what is
 * read back is exactly what was fired: nothing is silently dropped or changed by JSON.stringify.
 *
 * Accepted: `null`, booleans, finite numbers, strings, arrays, plain objects (prototype `Object` or
 * `null`) and valid `Date`s, which are stored as their ISO-8601 string. An object property whose
 * value is `undefined` is omitted, as JSON does.
 * Refused with `InvalidEventError` naming the path: functions, symbols (as values or keys), `BigInt`,
 * `NaN` and ±Infinity, `undefined` inside an array, cycles, invalid dates, and every other object
 * (class instances, `Map`, `Set`, `RegExp`, buffers, typed arrays, boxed primitives…).
 */
import { InvalidEventError } from '../errors.js';

/** The default limit of one event's data once encoded as JSON (UTF-8 bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Checks `value` is JSON-safe and under `maxBytes` once encoded, and returns its JSON text. `path`
 * names the value in an error; it may be given as a function, called only if there is an error.
 */
export function encodeJson(value: unknown, path: string | (() => string), maxBytes: number): string {
  // Nearly every value is safe, so the walk that knows paths runs only to name a problem, or to
  // decide about a value nested deeper than the quick walk goes (a cycle, or just deep data).
  if (!isJsonSafe(value, 0)) checkJsonSafe(value, pathText(path), new Set());
  const json = JSON.stringify(value === undefined ? null : value);
  checkJsonSize(json, path, maxBytes);
  return json;
}

/** Throws `InvalidEventError` when the JSON text `json` is over `maxBytes` in UTF-8. */
export function checkJsonSize(json: string, path: string | (() => string), maxBytes: number): void {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: measure only when the text could be over the limit.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) {
      throw new InvalidEventError(pathText(path), `is ${bytes} bytes as JSON; the limit is ${maxBytes}`);
    }
  }
}

function pathText(path: string | (() => string)): string {
  return typeof path === 'string' ? path : path();
}

/**
 * How deep `isJsonSafe` follows objects before leaving the decision to `checkJsonSafe`. It keeps no
 * record of the objects it is inside, so this depth is what stops it going round a cycle.
 */
const QUICK_WALK_DEPTH = 64;

/**
 * The same rules as `checkJsonSafe`, answered with a boolean: true only if `checkJsonSafe` would
 * accept `value`. False may also mean "nested too deep to tell here".
 */
function isJsonSafe(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth === QUICK_WALK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === undefined || !isJsonSafe(item, depth + 1)) return false;
    }
    return true;
  }
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (!isJsonSafe((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** Throws `InvalidEventError` naming the path of the first value that JSON cannot hold as it is. */
function checkJsonSafe(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidEventError(path, `is ${value}, which JSON cannot hold`);
      return;
    case 'bigint':
      throw new InvalidEventError(path, 'is a BigInt, which JSON cannot hold (store it as a string)');
    case 'symbol':
      throw new InvalidEventError(path, 'is a symbol, which JSON cannot hold');
    case 'function':
      throw new InvalidEventError(path, 'is a function, which JSON cannot hold');
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) throw new InvalidEventError(path, 'refers back to itself (a cycle)');
  if (Array.isArray(object)) {
    ancestors.add(object);
    for (let index = 0; index < object.length; index++) {
      const item: unknown = object[index];
      const itemPath = `${path}[${index}]`;
      if (item === undefined) {
        throw new InvalidEventError(itemPath, 'is undefined (or a hole), which JSON would turn into null');
      }
      checkJsonSafe(item, itemPath, ancestors);
    }
    ancestors.delete(object);
    return;
  }
  if (object instanceof Date) {
    if (Number.isNaN(object.getTime())) throw new InvalidEventError(path, 'is an invalid Date');
    return;
  }
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw new InvalidEventError(
      path,
      `is an instance of ${kind}; only plain objects, arrays and Dates are stored`,
    );
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new InvalidEventError(path, 'has symbol keys, which JSON would drop');
  }
  ancestors.add(object);
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    checkJsonSafe((object as Record<string, unknown>)[key], `${path}${propertyPath(key)}`, ancestors);
  }
  ancestors.delete(object);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyPath(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
