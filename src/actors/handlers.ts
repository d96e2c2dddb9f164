/**
 * Handler dispatch: which method, if any, applies an event of a given name.
 *
 * Only methods the user's own subclasses define are handlers. The library's base classes register
 * their prototypes here: their members, and everything on `Object.prototype`, are never handlers,
 * even when a subclass overrides them, so an event named `Load`, `Fire`, `constructor`, `__proto__`
 * or `toString` can never run that method. Accessors are not handlers either.
 */
import type { StoredEvent } from '../events/envelope.js';

export type Handler = (data: unknown, event: StoredEvent) => unknown;

const libraryPrototypes = new Set<object>();
const reservedNames = new Set<string>(['constructor', '__proto__', 'prototype']);
for (const name of Object.getOwnPropertyNames(Object.prototype)) reservedNames.add(name);

/** Marks a library base class: its members can never be handlers. */
export function registerLibraryClass(constructor: abstract new (...args: never[]) => unknown): void {
  libraryPrototypes.add(constructor.prototype as object);
  for (const name of Object.getOwnPropertyNames(constructor.prototype)) reservedNames.add(name);
  handlersByClass = new WeakMap();
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
