/**
 * A state as JSON can carry it, for the inspector and `replay --json`: actor state may hold what
 * JSON drops or mangles (`Map` and `Set` become `{}`, `undefined` vanishes, a `bigint` throws), so
 * each is turned into a plain form that still says what it was. The value itself is not changed.
 *
 * - `Map` → `{ "Map": [[key, value], …] }`; `Set` → `{ "Set": [value, …] }`
 * - `Date` → its ISO-8601 text (an invalid date → `"Invalid Date"`)
 * - `bigint` → `"123n"`; `undefined` in an array → `null`, as a property → left out (as JSON does)
 * - an `Error` → `{ "Error": { "name", "message" } }`; a `RegExp` or `URL` → its text
 * - a function or symbol → its description as text; a cycle → `"[Circular]"`
 * - a key named `__proto__` stays a key (as it is in the event data that put it there)
 */

export function displayValue(value: unknown): unknown {
  return convert(value, new Set());
}

function convert(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Error) return { Error: { name: value.name, message: value.message } };
  if (value instanceof RegExp || value instanceof URL) return String(value);
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Map) {
      return { Map: [...value].map(([key, entry]) => [convert(key, seen), convert(entry, seen)]) };
    }
    if (value instanceof Set) return { Set: [...value].map((entry) => convert(entry, seen)) };
    if (Array.isArray(value))
      return value.map((entry) => (entry === undefined ? null : convert(entry, seen)));
    const plain: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      // defineProperty, not assignment: assigning `__proto__` would set the prototype instead.
      if (entry !== undefined) {
        Object.defineProperty(plain, key, {
          value: convert(entry, seen),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return plain;
  } finally {
    seen.delete(value);
  }
}
