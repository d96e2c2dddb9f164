/**
 * The memory engine's events: every event of one process, held in arrays, with the indexes its
 * reads need. An append runs from its first check to its last write without yielding, so appends
 * are atomic and serialised: a concurrent reader or writer sees all of a batch or none of it.
 * Positions are 1, 2, 3, … in commit order.
 *
 * Events are kept as the JSON text `prepareEvents` produced and parsed again on every read, so
 * that each read returns new, mutable objects, as a persistent engine does (see `memory-store.ts`).
 */
import { DuplicateEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import { appendResultOf, findRetriedRun, type RetryLookup } from '../append-results.js';
import { checkExpectedVersion, checkFencingTerm, type PreparedEvent } from '../append-rules.js';
import type { AppendResult, ExpectedVersion, StreamInfo } from '../engine.js';
import {
  compareCodePoints,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type VersionRange,
} from '../options.js';

interface EventRecord {
  readonly id: string;
  readonly stream: string;
  readonly name: string;
  readonly dataJson: string;
  readonly metaJson: string;
  readonly version: number;
  readonly position: number;
  readonly at: string;
}

export class MemoryLog {
  /** Every event; an event's index is its position - 1. */
  readonly #all: EventRecord[] = [];
  /** Each stream's events; an event's index is its version - 1. */
  readonly #streams = new Map<string, EventRecord[]>();
  readonly #byId = new Map<string, EventRecord>();
  /**
   * The highest fencing term each stream has seen, from appends of events or of none. Kept apart
   * from `#streams`, so a stream fenced before its first event is neither listed nor read.
   */
  readonly #fencingTerms = new Map<string, number>();
  /** Stream ids in code point order, rebuilt only after a new stream appears. */
  #sortedStreamIds: string[] | undefined;
  readonly #retries: RetryLookup<EventRecord> = {
    locate: (id) => this.#byId.get(id),
    run: (stream, fromVersion, count) =>
      (this.#streams.get(stream) ?? []).slice(fromVersion - 1, fromVersion - 1 + count),
    matches: (record, event) =>
      record.id === event.id && record.name === event.name && record.dataJson === event.dataJson,
  };

  get lastPosition(): number {
    return this.#all.length;
  }

  append(
    stream: string,
    batch: readonly PreparedEvent[],
    expected: ExpectedVersion,
    fencingTerm: number | undefined,
  ): AppendResult {
    // A retry answers before the version check: the stream has moved on by the retried batch itself.
    const retried = findRetriedRun(stream, batch, this.#retries);
    if (retried) return appendResultOf(stream, retried.map(toStoredEvent));
    const streamEvents = this.#streams.get(stream);
    const current = streamEvents?.length ?? 0;
    checkFencingTerm(stream, fencingTerm, this.#fencingTerms.get(stream) ?? 0);
    checkExpectedVersion(stream, expected, current);
    for (const event of batch) {
      if (this.#byId.has(event.id)) throw new DuplicateEventError(event.id, stream);
    }
    // From here on nothing can throw, so the batch is stored whole. The term passed the check, so
    // it is at least the stream's; it is kept even for a batch of no events, with which a new
    // leader fences a stream before reading it.
    if (fencingTerm !== undefined) this.#fencingTerms.set(stream, fencingTerm);
    if (batch.length === 0) return { stream, events: [], version: current };
    const stored = this.#write(stream, streamEvents, batch);
    return appendResultOf(stream, stored.map(toStoredEvent));
  }

  #write(
    stream: string,
    existing: EventRecord[] | undefined,
    batch: readonly PreparedEvent[],
  ): EventRecord[] {
    const target = existing ?? [];
    if (!existing) {
      this.#streams.set(stream, target);
      this.#sortedStreamIds = undefined;
    }
    return batch.map((event): EventRecord => {
      const record: EventRecord = {
        id: event.id,
        stream,
        name: event.name,
        dataJson: event.dataJson,
        metaJson: event.metaJson,
        version: target.length + 1,
        position: this.#all.length + 1,
        at: event.at,
      };
      this.#all.push(record);
      target.push(record);
      this.#byId.set(record.id, record);
      return record;
    });
  }

  readStream(stream: string, { fromVersion, toVersion, limit }: VersionRange): StoredEvent[] {
    const events = this.#streams.get(stream);
    if (!events) return [];
    const end = Math.min(events.length, toVersion, fromVersion - 1 + limit);
    return events.slice(fromVersion - 1, Math.max(fromVersion - 1, end)).map(toStoredEvent);
  }

  readAll({ after, limit, names }: ResolvedReadAll): StoredEvent[] {
    const found: StoredEvent[] = [];
    const wanted = names && new Set(names);
    for (let index = after; index < this.#all.length && found.length < limit; index++) {
      const record = this.#all[index] as EventRecord;
      if (!wanted || wanted.has(record.name)) found.push(toStoredEvent(record));
    }
    return found;
  }

  streamVersion(stream: string): number {
    return this.#streams.get(stream)?.length ?? 0;
  }

  listStreams({ after, limit, prefix }: ResolvedListStreams): StreamInfo[] {
    this.#sortedStreamIds ??= [...this.#streams.keys()].sort(compareCodePoints);
    const found: StreamInfo[] = [];
    for (const stream of this.#sortedStreamIds) {
      if (found.length >= limit) break;
      if (after !== undefined && compareCodePoints(stream, after) <= 0) continue;
      if (!stream.startsWith(prefix)) continue;
      found.push({ stream, version: this.streamVersion(stream) });
    }
    return found;
  }
}

function toStoredEvent(record: EventRecord): StoredEvent {
  return {
    id: record.id,
    stream: record.stream,
    name: record.name,
    data: JSON.parse(record.dataJson) as unknown,
    version: record.version,
    position: record.position,
    at: record.at,
    meta: JSON.parse(record.metaJson) as StoredEvent['meta'],
  };
}
