/**
 * What an append answers, the same on every engine: the events as stored and the version after
 * them, and for a retried batch exactly what the first append answered.
 *
 * The retry rule: a batch whose first id is already stored is either a retry — the same ids,
 * names and data as a run of consecutive stored events of the same stream — or a mistake, refused
 * with `DuplicateEventError`. A retry answers as the first append did: the stored events, their
 * versions and positions, and the version after them, even if the stream has moved on since
 * (`streamVersion` gives the current one). Engines that judge appends in this process use
 * `findRetriedRun`; PostgreSQL applies the same rule inside its append function, in SQL.
 */
import { DuplicateEventError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import type { PreparedEvent } from './append-rules.js';
import type { AppendResult } from './engine.js';

/** How an engine finds what it stored, for the retry rule. */
export interface RetryLookup<Stored> {
  /** The stream and version of the stored event with this id, or `undefined` if none. */
  locate(id: string): { readonly stream: unknown; readonly version: unknown } | undefined;
  /** The stored events of `stream` from `fromVersion` on, at most `count`, in version order. */
  run(stream: string, fromVersion: number, count: number): readonly Stored[];
  /** Whether a stored event has the id, name and data text of a prepared one. */
  matches(stored: Stored, event: PreparedEvent): boolean;
}

/**
 * The stored run `batch` retries, `undefined` when its first id is new; throws
 * `DuplicateEventError` when the first id is stored but the batch is not a retry.
 */
export function findRetriedRun<Stored>(
  stream: string,
  batch: readonly PreparedEvent[],
  lookup: RetryLookup<Stored>,
): readonly Stored[] | undefined {
  const first = batch[0];
  if (first === undefined) return undefined;
  const stored = lookup.locate(first.id);
  if (stored === undefined) return undefined;
  if (stored.stream !== stream || typeof stored.version !== 'number') {
    throw new DuplicateEventError(first.id, stream);
  }
  const run = lookup.run(stream, stored.version, batch.length);
  const isRetry =
    run.length === batch.length &&
    run.every((record, index) => lookup.matches(record, batch[index] as PreparedEvent));
  if (!isRetry) throw new DuplicateEventError(first.id, stream);
  return run;
}

/** The answer to an append that stored (or had stored) `events`, in order. */
export function appendResultOf(stream: string, events: StoredEvent[]): AppendResult {
  return { stream, events, version: events[events.length - 1]?.version ?? 0 };
}

/**
 * A prepared event as it was stored: new objects parsed from the JSON just written, so that the
 * append answers what a read will return (JSON values only, nothing shared with the caller).
 */
export function storedEventOf(
  event: PreparedEvent,
  stream: string,
  version: number,
  position: number,
  meta: unknown,
): StoredEvent {
  return {
    id: event.id,
    stream,
    name: event.name,
    data: JSON.parse(event.dataJson) as unknown,
    version,
    position,
    at: event.at,
    meta: meta as StoredEvent['meta'],
  };
}
