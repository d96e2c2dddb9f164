/**
 * Upcasting: changing what old events mean without rewriting them. An actor class declares
 * `static upcasters = { storedName: (data, event) => result }`; every event the actor applies
 * (Load, the live feed, rebases, its own fired events, `Given` stories) passes through them before
 * handler dispatch, so the stored events stay as they were written and the handlers only ever see
 * the current shapes.
 *
 * Guarantees:
 * - an upcaster's result is one event `{ name, data }` (a rename and/or a reshape), an array of them
 *   (a split, applied in order; `[]` drops the event from the actor's view), each checked: a valid,
 *   unreserved event name and JSON-safe data, handed to the handler as JSON would read it back;
 * - chains compose: an output renamed to a name with its own upcaster goes through that one too;
 *   an output that keeps its upcaster's own name is final. A path of more than `MAX_UPCAST_STEPS`
 *   upcasters (in practice a cycle) is refused with `UsageError` naming the names;
 * - the maps merge along the class chain, the most derived class winning per name; a map is checked
 *   once per class (`UsageError` naming the class and the entry);
 * - an upcaster that throws or returns something malformed fails as a handler does, with a
 *   `HandlerError` of stage `upcaster` naming the class and the stored event; nothing of that event
 *   reaches a handler;
 * - nothing here writes: what is stored, and what other actors and listeners see, never changes.
 */
import { HandlerError, InvalidEventError, messageOf, UsageError } from '../errors.js';
import type { EventMap, StoredEvent } from '../events/envelope.js';
import { encodeJson } from '../events/json-data.js';
import { validateEventName } from '../events/names.js';
import { isReservedEventName } from './handlers.js';
import { isThenable, settleQuietly } from './thenable.js';

/** One event an upcaster makes: a name and its data (omitted data is `null`, as for `Fire`). */
export type UpcastEvent<Events extends EventMap = Record<string, any>> = {
  [Name in keyof Events & string]: undefined extends Events[Name]
    ? { readonly name: Name; readonly data?: Events[Name] }
    : { readonly name: Name; readonly data: Events[Name] };
}[keyof Events & string];

/**
 * Turns a stored event into what the handlers see: one event, several in order, or none (`[]`).
 * `data` is the stored data, of whatever age it is; `event` the stored event (along a chain, with
 * the name and data of the previous step).
 */
export type Upcaster<Events extends EventMap = Record<string, any>> = (
  data: any,
  event: StoredEvent,
) => UpcastEvent<Events> | readonly UpcastEvent<Events>[];

/**
 * The `static upcasters` of an actor class, keyed by stored event name. `Events` types what the
 * upcasters make (the actor's events); `Older` adds the intermediate shapes a chain passes through
 * (`v1 → v2 → current`), which the actor never fires.
 */
export type Upcasters<
  Events extends EventMap = Record<string, any>,
  Older extends EventMap = Record<never, never>,
> = {
  readonly [storedName: string]: Upcaster<Events & Older>;
};

/** How many upcasters one stored event may go through along a chain before it is taken for a cycle. */
export const MAX_UPCAST_STEPS = 32;

type UpcasterFunction = (data: unknown, event: StoredEvent) => unknown;

/** A class's merged upcasters by stored name; empty for the many classes that declare none. */
export type UpcasterMap = ReadonlyMap<string, UpcasterFunction>;

const NO_UPCASTERS: UpcasterMap = new Map();
const upcastersByClass = new WeakMap<object, UpcasterMap>();

/** The upcasters of `actorClass` (a constructor), merged along its class chain and checked once. */
export function upcastersOf(actorClass: object): UpcasterMap {
  let upcasters = upcastersByClass.get(actorClass);
  if (upcasters === undefined) {
    upcasters = collectUpcasters(actorClass);
    upcastersByClass.set(actorClass, upcasters);
  }
  return upcasters;
}

function collectUpcasters(actorClass: object): UpcasterMap {
  const declaring: object[] = [];
  for (
    let current: object | null = actorClass;
    current !== null && current !== Function.prototype;
    current = Object.getPrototypeOf(current) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(current, 'upcasters')) declaring.unshift(current);
  }
  if (declaring.length === 0) return NO_UPCASTERS;
  const merged = new Map<string, UpcasterFunction>();
  // From the base class down, so that the most derived class's entry replaces an inherited one.
  for (const declaringClass of declaring) {
    for (const [name, upcaster] of checkedEntries(declaringClass)) merged.set(name, upcaster);
  }
  return merged.size === 0 ? NO_UPCASTERS : merged;
}

function checkedEntries(declaringClass: object): Array<[string, UpcasterFunction]> {
  const className = (declaringClass as { name?: unknown }).name;
  const where = `${typeof className === 'string' && className !== '' ? className : 'an actor class'}.upcasters`;
  const map: unknown = (declaringClass as { upcasters?: unknown }).upcasters;
  if (map === undefined) return [];
  if (!isPlainObject(map)) {
    throw new UsageError(
      `${where} must be a plain object mapping stored event names to upcasters, got ${describe(map)}`,
    );
  }
  if (Object.getOwnPropertySymbols(map).length > 0) {
    throw new UsageError(`${where} has a symbol key; its keys are stored event names`);
  }
  const entries: Array<[string, UpcasterFunction]> = [];
  for (const name of Object.keys(map)) {
    try {
      validateEventName(name, `${where} key`);
    } catch (error) {
      throw new UsageError(
        `${where} has the entry "${name}", which is not an event name: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    const upcaster: unknown = (map as Record<string, unknown>)[name];
    if (typeof upcaster !== 'function') {
      throw new UsageError(
        `${where}.${name} must be a function (data, event) => { name, data }, got ${describe(upcaster)}`,
      );
    }
    // Recognised by their constructor: such a function returns a promise or an iterator, never an event.
    if (
      ['AsyncFunction', 'GeneratorFunction', 'AsyncGeneratorFunction'].includes(upcaster.constructor.name)
    ) {
      throw new UsageError(
        `${where}.${name} must be a plain synchronous function: events are read without waiting`,
      );
    }
    entries.push([name, upcaster as UpcasterFunction]);
  }
  return entries;
}

/**
 * What the handlers of `className` see of `stored`: the events its upcasters make of it, in order
 * (the stored event itself when no upcaster has its name). Each keeps the stored event's id, stream,
 * version, position, time and metadata.
 */
export function upcastEvent(upcasters: UpcasterMap, className: string, stored: StoredEvent): StoredEvent[] {
  const seen: StoredEvent[] = [];
  // Depth first, so that a split's parts come out in order and a cycle is met on its first path.
  const visit = (event: StoredEvent, chain: readonly string[]): void => {
    const upcaster = upcasters.get(event.name);
    if (upcaster === undefined) {
      seen.push(event);
      return;
    }
    const names = [...chain, event.name];
    if (names.length > MAX_UPCAST_STEPS) throw chainTooLong(className, stored, names);
    for (const result of resultsOf(upcaster, event, className, stored)) {
      const next: StoredEvent = { ...event, name: result.name, data: result.data };
      if (result.name === event.name) seen.push(next);
      else visit(next, names);
    }
  };
  visit(stored, []);
  return seen;
}

/** Calls one upcaster and checks what it returned; any failure is the upcaster's `HandlerError`. */
function resultsOf(
  upcaster: UpcasterFunction,
  event: StoredEvent,
  className: string,
  stored: StoredEvent,
): Array<{ name: string; data: unknown }> {
  try {
    const result = upcaster.call(undefined, event.data, event);
    if (isThenable(result)) {
      settleQuietly(result);
      throw new UsageError('an upcaster must be synchronous: events are read without waiting');
    }
    const parts: readonly unknown[] = Array.isArray(result) ? result : [result];
    return parts.map((part, index) => checkedPart(part, Array.isArray(result) ? `[${index}]` : '', event));
  } catch (error) {
    throw new HandlerError(className, stored, error, 'upcaster');
  }
}

function checkedPart(part: unknown, at: string, from: StoredEvent): { name: string; data: unknown } {
  const path = `the upcaster of "${from.name}" returned${at === '' ? '' : ` at ${at}`}`;
  if (!isPlainObject(part)) {
    throw new UsageError(
      `${path} ${describe(part)}; an upcaster returns { name, data }, an array of them, or [] to drop the event`,
    );
  }
  const { name, data } = part as { name?: unknown; data?: unknown };
  validateEventName(name, `${path} name`);
  if (isReservedEventName(name)) {
    throw new InvalidEventError(
      `${path} name`,
      `"${name}" is reserved: it names a member of the actor base classes`,
    );
  }
  // Data passed through as it came (today's shape, unchanged) was read from the store or checked
  // at the previous step: it needs no second check, which keeps the pass-through rule cheap.
  if (data === from.data) return { name, data };
  // Read back as the store would give it: a handler sees the same values whether the data was
  // stored in this shape or made by an upcaster (a Date becomes its ISO-8601 text, and so on).
  const json = encodeJson(data, `${path} data`, Number.MAX_SAFE_INTEGER);
  return { name, data: JSON.parse(json) as unknown };
}

function chainTooLong(className: string, stored: StoredEvent, names: readonly string[]): UsageError {
  const repeated = names.findIndex((name, index) => names.indexOf(name) !== index);
  const where = `version ${stored.version} of "${stored.stream}" (stored as "${stored.name}")`;
  if (repeated >= 0) {
    const start = names.indexOf(names[repeated] as string);
    const cycle = names.slice(start, repeated + 1).join(' → ');
    return new UsageError(
      `${className}'s upcasters go round in a cycle on ${where}: ${cycle}; ` +
        'an upcaster that returns its own event name ends the chain',
    );
  }
  return new UsageError(
    `${className}'s upcasters chain more than ${MAX_UPCAST_STEPS} steps on ${where}: ${names.join(' → ')}`,
  );
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    const constructor = (value as { constructor?: { name?: unknown } }).constructor;
    return `an instance of ${typeof constructor?.name === 'string' ? constructor.name : 'an unknown class'}`;
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 80))}`;
  return `the ${typeof value} ${String(value)}`;
}
