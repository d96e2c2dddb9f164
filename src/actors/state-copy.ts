/**
 * The copy of an actor's state kept while its events are in flight, to rebuild from.
 *
 * `structuredClone` copies plain data faithfully but turns a class instance into a plain object
 * (its methods gone) without a word, and refuses functions with a `DataCloneError` that names no
 * actor. So the state is checked first, and anything that would not survive the copy as it is is
 * refused with a `UsageError` naming the actor's class, its id and the path: plain objects, arrays, `Map`, `Set`,
 * `Date`, `RegExp`, binary data and primitives (no symbols, no functions).
 */
import { messageOf, UsageError } from '../errors.js';

export function copyState(state: object, className: string, id: string): object {
  const problem = findUncopyable(state, '_state', new Set());
  if (problem !== undefined) {
    throw new UsageError(
      `the state of ${className} "${id}" cannot be copied: ${problem}. An actor keeps a copy of its state while ` +
        'its events are in flight, so the state must hold only plain data: plain objects, arrays, ' +
        'Map, Set, Date and primitives',
    );
  }
  try {
    return structuredClone(state);
  } catch (error) {
    throw new UsageError(`the state of ${className} "${id}" cannot be copied (${messageOf(error)})`, {
      cause: error,
    });
  }
}

/** Where the first value that the copy would change or refuse sits, and what it is; or undefined. */
function findUncopyable(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (typeof value === 'function') return `${path} is a function`;
  if (typeof value === 'symbol') return `${path} is a symbol`;
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) return findInEntries(value.entries(), path, seen);
  if (value instanceof Map) {
    for (const [key, item] of value) {
      const problem =
        findUncopyable(key, `${path} (a Map key)`, seen) ?? findUncopyable(item, `${path}.get(…)`, seen);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value instanceof Set) return findInEntries([...value].entries(), `${path} (a Set item)`, seen);
  if (value instanceof Date || value instanceof RegExp) return undefined;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
    return `${path} is an instance of ${kind}, which a copy would turn into a plain object`;
  }
  return findInEntries(Object.entries(value), path, seen, true);
}

function findInEntries(
  entries: Iterable<[number | string, unknown]>,
  path: string,
  seen: Set<object>,
  keyed = false,
): string | undefined {
  for (const [key, item] of entries) {
    const problem = findUncopyable(item, keyed ? `${path}.${String(key)}` : `${path}[${String(key)}]`, seen);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
