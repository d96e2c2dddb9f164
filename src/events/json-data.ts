/**
 * JSON safety of event data and metadata. Data is checked before it is stored, so that what is
 * read back is exactly what was fired: nothing is silently dropped or changed by JSON.stringify.
 *
 * Accepted: `null`, booleans, finite numbers, strings, arrays, plain objects (prototype `Object` or
 * `null`) and valid `Date`s, which are stored as their ISO-8601 string. An object property whose
 * value is `undefined` is omitted, as JSON does. Arrays and objects nest at most `MAX_JSON_DEPTH`
 * (256) deep.
 * Refused with `InvalidEventError` naming the path: functions, symbols (as values or keys), `BigInt`,
 * `NaN` and ±Infinity, `undefined` inside an array, cycles, invalid dates, deeper nesting, a
 * `toJSON` method anywhere (own or inherited, enumerable or not; a Date's own built-in one aside),
 * and every other object (class instances, `Map`, `Set`, `RegExp`, buffers, typed arrays, boxed
 * primitives…). An exception thrown while the data is read (a getter, a `Proxy` trap) is refused
 * the same way, with the exception as the error's `cause`.
 *
 * Each value is read once, and the text stored is written from the values that were checked (see
 * `json-writer.ts`): a getter or a proxy that answers differently on a second read changes nothing.
 * Nothing but `InvalidEventError` is thrown.
 */
import { InvalidEventError } from '../errors.js';
import { type JsonRefusal, writeJson } from './json-writer.js';

export { MAX_JSON_DEPTH } from './json-writer.js';

/** The default limit of one event's data once encoded as JSON (UTF-8 bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Checks `value` is JSON-safe and under `maxBytes` once encoded, and returns its JSON text. `path`
 * names the value in an error; it may be given as a function, called only if there is an error.
 */
export function encodeJson(value: unknown, path: string | (() => string), maxBytes: number): string {
  let json: string;
  try {
    // A text longer than `maxBytes` UTF-16 units is over `maxBytes` in UTF-8: the walk can stop there.
    json = value === undefined ? 'null' : writeJson(value, maxBytes);
  } catch (error) {
    throw invalidEventError(error as JsonRefusal, path, maxBytes);
  }
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

function invalidEventError(
  refusal: JsonRefusal,
  path: string | (() => string),
  maxBytes: number,
): InvalidEventError {
  const root = pathText(path);
  if (refusal.kind === 'too-large') {
    return new InvalidEventError(root, `is over ${maxBytes} bytes as JSON; the limit is ${maxBytes}`);
  }
  const segments = refusal.segments.reverse();
  const cycle = refusal.kind === 'too-deep' ? cycleLength(refusal.containers.reverse()) : undefined;
  if (cycle !== undefined) {
    return new InvalidEventError(root + segments.slice(0, cycle).join(''), 'refers back to itself (a cycle)');
  }
  const options = refusal.cause === undefined ? undefined : { cause: refusal.cause };
  return new InvalidEventError(root + segments.join(''), refusal.reason, options);
}

/**
 * How many steps from the root the first object is that is also one of the objects it is inside, if
 * any: `containers` is the chain of arrays and objects from the root down to a refused value.
 */
function cycleLength(containers: unknown[]): number | undefined {
  const inside = new Set<unknown>();
  for (let index = 0; index < containers.length; index++) {
    if (inside.has(containers[index])) return index;
    inside.add(containers[index]);
  }
  return undefined;
}
