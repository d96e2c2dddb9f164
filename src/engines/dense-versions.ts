/**
 * Versions in a stream are 1..n with no gap, so every read of a version range is dense: a row
 * that is not the next version means a row went missing, and the read stops there rather than
 * hand a stream with a hole to its caller.
 */
import { CorruptEventError } from '../errors.js';

/** Throws `CorruptEventError` unless the event read next in `stream` is at `expectedVersion`. */
export function checkNextVersion(stream: string, expectedVersion: number, version: number): void {
  if (version !== expectedVersion) {
    throw new CorruptEventError(
      { stream, version: expectedVersion },
      `version ${expectedVersion} is missing: the next stored version is ${version}`,
    );
  }
}
