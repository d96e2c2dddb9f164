/**
 * What an event changed in an actor's state, as paths: `lives: 1 → 2`, `+ history[1]: 10`,
 * `- token`. A replay prints these after each event, so that a change nobody expected stands out
 * in a large state; the whole state is printed only on request. Understands what actor state may
 * hold (plain objects, arrays, `Map`, `Set`, `Date` and primitives).
 */
import { displayValue } from './display-value.js';
import { truncate } from './text.js';

export interface StateChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

export function stateChanges(before: unknown, after: unknown, path = ''): StateChange[] {
  if (Object.is(before, after)) return [];
  if (before instanceof Date && after instanceof Date) {
    return before.getTime() === after.getTime() ? [] : [{ path, kind: 'changed', before, after }];
  }
  if (before instanceof Map && after instanceof Map) {
    return keyedChanges(path, before, after, (key) => `${path}.get(${formatValue(key)})`);
  }
  if (before instanceof Set && after instanceof Set) {
    const changes: StateChange[] = [];
    for (const value of before)
      if (!after.has(value))
        changes.push({ path: `${path}{${formatValue(value)}}`, kind: 'removed', before: value });
    for (const value of after)
      if (!before.has(value))
        changes.push({ path: `${path}{${formatValue(value)}}`, kind: 'added', after: value });
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: StateChange[] = [];
    const common = Math.min(before.length, after.length);
    for (let index = 0; index < common; index++) {
      changes.push(...stateChanges(before[index], after[index], `${path}[${index}]`));
    }
    for (let index = common; index < before.length; index++) {
      changes.push({ path: `${path}[${index}]`, kind: 'removed', before: before[index] });
    }
    for (let index = common; index < after.length; index++) {
      changes.push({ path: `${path}[${index}]`, kind: 'added', after: after[index] });
    }
    return changes;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    return keyedChanges(path, new Map(Object.entries(before)), new Map(Object.entries(after)), (key) =>
      path === '' ? String(key) : `${path}.${String(key)}`,
    );
  }
  // Two copies of one value (an Error, a class instance) are different objects: a change only if
  // they show differently.
  if (
    typeof before === 'object' &&
    typeof after === 'object' &&
    JSON.stringify(displayValue(before)) === JSON.stringify(displayValue(after))
  ) {
    return [];
  }
  return [{ path, kind: 'changed', before, after }];
}

function keyedChanges(
  path: string,
  before: ReadonlyMap<unknown, unknown>,
  after: ReadonlyMap<unknown, unknown>,
  pathOf: (key: unknown) => string,
): StateChange[] {
  const changes: StateChange[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) changes.push({ path: pathOf(key), kind: 'removed', before: value });
    else changes.push(...stateChanges(value, after.get(key), pathOf(key)));
  }
  for (const [key, value] of after) {
    if (!before.has(key)) changes.push({ path: pathOf(key), kind: 'added', after: value });
  }
  return changes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A value on one line: JSON where it is JSON, readable forms for the rest, cut at `width`. */
export function formatValue(value: unknown, width = 120): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (value instanceof Date) text = value.toISOString();
  else if (value instanceof Map) text = `Map(${value.size})`;
  else if (value instanceof Set) text = `Set(${value.size})`;
  else if (typeof value === 'bigint') text = `${value}n`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return truncate(text, width);
}

/** One line per change: `  path: before → after`, `+ path: value`, `- path: value`. */
export function formatChanges(changes: readonly StateChange[], width = 120): string[] {
  return changes.map((change) => {
    const path = change.path === '' ? '(state)' : change.path;
    switch (change.kind) {
      case 'added':
        return `+ ${path}: ${formatValue(change.after, width)}`;
      case 'removed':
        return `- ${path}: ${formatValue(change.before, width)}`;
      case 'changed':
        return `  ${path}: ${formatValue(change.before, width)} → ${formatValue(change.after, width)}`;
    }
  });
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
