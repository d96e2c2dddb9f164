/**
 * Handler dispatch: which method, if any, applies an event of a given name.
 *
 * Only methods the user's own subclasses define are handlers. The library's base classes register
 * their prototypes here: their members, and everything on `Object.prototype`, are never handlers,
 * even when a subclass overrides them, so an event named `Load`, `Fire`, `constructor`, `__proto__`
 * or `toString` can never run that method. Accessors are not handlers either.
 */
import { UsageError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';

export type Handler = (data: unknown, event: StoredEvent) => unknown;

const libraryPrototypes = new Set<object>();
/**
 * `then` is reserved although no base class defines it: an actor with a `then` member is a
 * thenable, and `await actor.Load()` would call it instead of resolving to the actor.
 */
const reservedNames = new Set<string>(['constructor', '__proto__', 'prototype', 'then']);
for (const name of Object.getOwnPropertyNames(Object.prototype)) reservedNames.add(name);
/** What a user's subclass may not define: the public members of the base classes, and `then`. */
const libraryMembers = new Set<string>(['then']);
/** Instance fields the core itself sets, and the state the user sets in the constructor. */
const coreFields = new Set<string>(['id', 'container', '_state']);

/** Marks a library base class: its members can never be handlers, nor be redefined by a subclass. */
export function registerLibraryClass(constructor: abstract new (...args: never[]) => unknown): void {
  libraryPrototypes.add(constructor.prototype as object);
  for (const name of Object.getOwnPropertyNames(constructor.prototype)) {
    reservedNames.add(name);
    if (name !== 'constructor') libraryMembers.add(name);
  }
  handlersByClass = new WeakMap();
  checkedPrototypes = new WeakSet();
}

/** True for a library base class: where a user's chain of classes ends. */
export function isLibraryClass(candidate: object): boolean {
  const prototype = (candidate as { prototype?: unknown }).prototype;
  return typeof prototype === 'object' && prototype !== null && libraryPrototypes.has(prototype);
}

let checkedPrototypes = new WeakSet<object>();

/**
 * Refuses, with `UsageError`, a user's subclass that defines a member of the library's base classes
 * (`Load`, `Fire`, `state`, `RerunOnConflict`, …) or `then`: such a member would silently replace
 * the library's. `target` is the class's prototype (checked once per class, up to the library's
 * classes) or an instance (its own properties: the fields a subclass declares).
 */
export function checkUserMembers(target: object, className: string): void {
  if (checkedPrototypes.has(target)) return;
  const isPrototype = Object.prototype.hasOwnProperty.call(target, 'constructor');
  for (
    let current: object | null = target;
    current !== null && current !== Object.prototype && !libraryPrototypes.has(current);
    current = isPrototype ? (Object.getPrototypeOf(current) as object | null) : null
  ) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (!libraryMembers.has(name) || (!isPrototype && coreFields.has(name))) continue;
      throw new UsageError(
        `${className} defines "${name}", which is a member of the library's actor classes and would replace it; ` +
          'give your member another name',
      );
    }
  }
  if (isPrototype) checkedPrototypes.add(target);
}

/** True when no event of this name may be fired: it names a library or `Object.prototype` member. */
export function isReservedEventName(name: string): boolean {
  return reservedNames.has(name);
}

let handlersByClass = new WeakMap<object, ReadonlyMap<string, Handler>>();

/** The handlers of the class whose prototype is `prototype`, computed once per class. */
export function handlersOf(prototype: object): ReadonlyMap<string, Handler> {
  let handlers = handlersByClass.get(prototype);
  if (handlers === undefined) {
    handlers = collectHandlers(prototype);
    handlersByClass.set(prototype, handlers);
  }
  return handlers;
}

function collectHandlers(prototype: object): ReadonlyMap<string, Handler> {
  const handlers = new Map<string, Handler>();
  // Walk from the most derived class up, so that an override wins over the method it overrides.
  for (
    let current: object | null = prototype;
    current !== null && current !== Object.prototype && !libraryPrototypes.has(current);
    current = Object.getPrototypeOf(current) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (reservedNames.has(name) || handlers.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(current, name);
      if (descriptor !== undefined && typeof descriptor.value === 'function') {
        handlers.set(name, descriptor.value as Handler);
      }
    }
  }
  return handlers;
}
