/**
 * A stored event as the Redis engine keeps it: one JSON array per position,
 * `[version, position, id, stream, name, at, data, meta]`, written by the append script from the
 * JSON texts the caller prepared (so data and meta are stored as written). Reading one back checks
 * its shape: a record that is not one is a `CorruptEventError` naming where it is, never an event
 * with missing fields.
 */
import { CorruptEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { FollowedRow } from '../position-follower.js';

export function eventFromRecord(
  record: string | null | undefined,
  where: { position?: number; stream?: string; version?: number },
): StoredEvent {
  if (typeof record !== 'string') {
    throw new CorruptEventError(where, 'the event is missing from the store’s events');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(record);
  } catch (error) {
    throw new CorruptEventError(where, 'the stored event is not valid JSON', { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== 8) {
    throw new CorruptEventError(where, 'the stored event is not an array of its 8 fields');
  }
  const [version, position, id, stream, name, at, data, meta] = parsed as unknown[];
  if (
    !isCount(version) ||
    !isCount(position) ||
    typeof id !== 'string' ||
    typeof stream !== 'string' ||
    typeof name !== 'string' ||
    typeof at !== 'string' ||
    typeof meta !== 'object' ||
    meta === null ||
    Array.isArray(meta)
  ) {
    throw new CorruptEventError(where, 'a field of the stored event has the wrong type');
  }
  if (
    (where.position !== undefined && where.position !== position) ||
    (where.stream !== undefined && where.stream !== stream)
  ) {
    throw new CorruptEventError(
      where,
      `the stored event says it is ${stream}@${version} at position ${position}`,
    );
  }
  return { id, stream, name, data, version, position, at, meta: meta as StoredEvent['meta'] };
}

/** For a subscription: the event, or the error that says why the record cannot be read. */
export function followedRow(record: string | null | undefined, position: number): FollowedRow {
  try {
    return eventFromRecord(record, { position });
  } catch (error) {
    if (error instanceof CorruptEventError) return error;
    throw error;
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}
