/**
 * The services an actor class declares it uses (`static services = ['payments']`), checked against
 * the container when an actor is constructed, so that a container built without one fails at
 * once, naming the service and the class, rather than deep inside a command with `undefined`.
 *
 * Guarantees:
 * - a class's declaration adds to those of the classes it extends (a subclass never drops a
 *   service its parent needs);
 * - a declaration that is not an array of non-empty strings is refused with `UsageError`;
 * - each class's list is read and checked once; constructing an actor then costs one lookup per
 *   declared service.
 */
import type { Container } from '../container.js';
import { MissingServiceError, UsageError } from '../errors.js';
import { describeValue } from '../engines/describe-value.js';
import { isLibraryClass } from './handlers.js';

const declaredByClass = new WeakMap<object, readonly string[]>();

/** Throws `MissingServiceError` for the first service `actorClass` declares that `container` lacks. */
export function checkDeclaredServices(
  actorClass: abstract new (...args: never[]) => unknown,
  container: Container,
): void {
  const declared = declaredServicesOf(actorClass);
  if (declared.length === 0) return;
  const services: unknown = container.services;
  for (const name of declared) {
    if (typeof services !== 'object' || services === null || !Object.hasOwn(services, name)) {
      throw new MissingServiceError(name, actorClass.name);
    }
  }
}

/** Every service `actorClass` and the user classes it extends declare, each once. */
export function declaredServicesOf(actorClass: object): readonly string[] {
  let declared = declaredByClass.get(actorClass);
  if (declared !== undefined) return declared;
  const names = new Set<string>();
  for (
    let current: object | null = actorClass;
    current !== null && typeof current === 'function' && !isLibraryClass(current);
    current = Object.getPrototypeOf(current) as object | null
  ) {
    if (!Object.hasOwn(current, 'services')) continue;
    const own: unknown = (current as { services?: unknown }).services;
    const className = (current as { name: string }).name;
    if (!Array.isArray(own) || !own.every((name) => typeof name === 'string' && name !== '')) {
      throw new UsageError(
        `${className}.services must be an array of service names, e.g. static services = ['payments']; got ${describeValue(own)}`,
      );
    }
    for (const name of own as string[]) names.add(name);
  }
  declared = Object.freeze([...names]);
  declaredByClass.set(actorClass, declared);
  return declared;
}
