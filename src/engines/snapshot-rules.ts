/**
 * The rules every engine applies to a snapshot before storing it, so that all engines refuse the
 * same snapshots with the same errors: its stream and key, a version, a fingerprint, and a state
 * that is JSON-safe and under the size limit.
 */
import { InvalidEventError } from '../errors.js';
import { encodeJson } from '../events/json-data.js';
import { hasControlCharacter, isWellFormedText, validateStreamId } from '../events/names.js';
import { describeValue } from './describe-value.js';
import type { NewSnapshot } from './engine.js';
import { readable } from './readable.js';

/** The longest snapshot key and fingerprint, in UTF-16 units. */
export const MAX_SNAPSHOT_LABEL_LENGTH = 256;
/** The default limit of one snapshot's state once encoded as JSON (UTF-8 bytes). */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** A snapshot checked and encoded, ready to be written. */
export interface PreparedSnapshot {
  readonly stream: string;
  readonly key: string;
  readonly version: number;
  readonly fingerprint: string;
  readonly stateJson: string;
}

export function prepareSnapshot(snapshot: NewSnapshot, maxSnapshotBytes: number): PreparedSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null)
    throw new InvalidEventError('snapshot', 'must be an object');
  // Each field is read once: a getter cannot show one value to the checks and store another.
  const { stream, key, fingerprint, version, state } = readable(() => ({ ...snapshot }), 'snapshot');
  validateStreamId(stream, 'snapshot.stream');
  validateLabel(key, 'snapshot.key');
  validateLabel(fingerprint, 'snapshot.fingerprint');
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidEventError(
      'snapshot.version',
      `must be a whole number >= 1, got ${describeValue(version)}`,
    );
  }
  return {
    stream,
    key,
    version,
    fingerprint,
    stateJson: encodeJson(state, 'snapshot.state', maxSnapshotBytes),
  };
}

function validateLabel(label: unknown, path: string): void {
  if (
    typeof label !== 'string' ||
    label.length === 0 ||
    label.length > MAX_SNAPSHOT_LABEL_LENGTH ||
    !isWellFormedText(label) ||
    hasControlCharacter(label)
  ) {
    throw new InvalidEventError(
      path,
      `must be well-formed text of 1 to ${MAX_SNAPSHOT_LABEL_LENGTH} characters, with no control character`,
    );
  }
}
