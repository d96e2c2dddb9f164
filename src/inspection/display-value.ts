/**
 * A state as JSON can carry it, for the inspector and `replay --json`: actor state may hold what
 * JSON drops or mangles (`Map` and `Set` become `{}`, `undefined` vanishes, a `bigint` throws), so
 * each is turned into a plain form that still says what it was. The value itself is not changed.
 *
 * - `Map` → `{ "Map": [[key, value], …] }`; `Set` → `{ "Set": [value, …] }`
 * - `Date` → its ISO-8601 text (an invalid date → `"Invalid Date"`)
 * - `bigint` → `"123n"`; `undefined` in an array → `null`, as a property → left out (as JSON does)
 * - a function or symbol → its description as text; a cycle → `"[Circular]"`
 */
import type { StateChange } from './state-changes.js';

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
      if (entry !== undefined) plain[key] = convert(entry, seen);
    }
    return plain;
  } finally {
    seen.delete(value);
  }
}

/** Changes with their values in display form (see `displayValue`). */
export function displayChanges(changes: readonly StateChange[]): StateChange[] {
  return changes.map((change) => ({
    path: change.path,
    kind: change.kind,
    ...('before' in change ? { before: displayValue(change.before) } : {}),
    ...('after' in change ? { after: displayValue(change.after) } : {}),
  }));
}
