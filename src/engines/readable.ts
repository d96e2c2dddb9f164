/**
 * Reading a caller's value that may throw when read (a getter, a revoked Proxy): anything but the
 * library's own errors becomes `InvalidEventError` naming the path, so a caller's odd object never
 * escapes untyped.
 */
import { InvalidEventError, messageOf, OmniscientError } from '../errors.js';

export function readable<T>(read: () => T, path: string): T {
  try {
    return read();
  } catch (error) {
    throw asInvalidEvent(error, path);
  }
}

/** `error` as the library's: its own errors as they are, anything else as `InvalidEventError` at `path`. */
export function asInvalidEvent(error: unknown, path: string): unknown {
  if (error instanceof OmniscientError) return error;
  return new InvalidEventError(path, `could not be read: ${messageOf(error)}`, { cause: error });
}
