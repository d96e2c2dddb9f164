/**
 * The in-memory engine: every event of one process, held in arrays. It is what tests and the
 * `Given` DSL run on, so it keeps every promise of the engine interface that one process can
 * observe, exactly as the persistent engines do.
 *
 * - An append runs from its first check to its last write without yielding, so appends are
 *   atomic and serialised: a concurrent reader or writer sees all of a batch or none of it.
 * - Positions are 1, 2, 3, … in commit order.
 * - Events are kept as the JSON text `prepareEvents` produced and parsed again on every read.
 *   Each read therefore returns new, mutable objects, as a persistent engine does: a caller can
 *   change what it was given without changing the store, a handler may keep part of an event in
 *   its state and change it later, and a `Date` fired is read back as a string. Deep-freezing
 *   stored objects would be cheaper, but would make such handlers throw only under this engine,
 *   so tests would stop behaving like production.
 */
import { DuplicateEventError, StoreUnavailableError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import {
  checkExpectedVersion,
  checkFencingTerm,
  prepareEvents,
  validateExpectedVersion,
  validateFencingTerm,
  type PreparedEvent,
} from '../append-rules.js';
import type { AppendResult, EventStore, Snapshot, StoreOptions, StreamInfo } from '../engine.js';
import { prepareSnapshot, type PreparedSnapshot } from '../snapshot-rules.js';
import { SubscriptionHub } from '../subscription-hub.js';
import {
  compareCodePoints,
  requireStreamArgument,
  resolveListStreams,
  resolveReadAll,
  resolveReadStream,
  resolveStoreOptions,
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

export function memoryStore(options?: StoreOptions): EventStore {
  const { maxEventBytes, maxSnapshotBytes, now } = resolveStoreOptions(options);
  /** Every event; an event's index is its position - 1. */
  const all: EventRecord[] = [];
  /** Each stream's events; an event's index is its version - 1. */
  const streams = new Map<string, EventRecord[]>();
  const byId = new Map<string, EventRecord>();
  /** The highest fencing term that wrote to each stream. */
  const fencingTerms = new Map<string, number>();
  /** The newest snapshot per stream and key. */
  const snapshots = new Map<string, PreparedSnapshot & { at: string }>();
  const hub = new SubscriptionHub({
    readAfter: async (position, limit) => all.slice(position, position + limit).map(toStoredEvent),
    lastPosition: async () => all.length,
  });
  /** Stream ids in code point order, rebuilt only after a new stream appears. */
  let sortedStreamIds: string[] | undefined;
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new StoreUnavailableError('the memory store is closed');
  }

  /**
   * A batch whose first id is stored is either a retry — the same ids, names and data as a run of
   * consecutive stored events of the same stream — or a mistake. A retry answers as the first
   * append did: the stored events, their versions and positions, and the version after them, even
   * if the stream has moved on since (`streamVersion` gives the current one).
   */
  function findRetriedBatch(stream: string, batch: readonly PreparedEvent[]): EventRecord[] | undefined {
    const first = batch[0];
    const stored = first && byId.get(first.id);
    if (!first || !stored) return undefined;
    const events = streams.get(stored.stream) ?? [];
    const original = events.slice(stored.version - 1, stored.version - 1 + batch.length);
    const isRetry =
      stored.stream === stream &&
      original.length === batch.length &&
      original.every(
        (record, index) =>
          record.id === batch[index]?.id &&
          record.name === batch[index]?.name &&
          record.dataJson === batch[index]?.dataJson,
      );
    if (!isRetry) throw new DuplicateEventError(first.id, stream);
    return original;
  }

  return {
    engine: 'memory',
    limits: Object.freeze({ maxEventBytes, maxSnapshotBytes }),

    async appendToStream(stream, events, appendOptions): Promise<AppendResult> {
      ensureOpen();
      const expected = appendOptions?.expectedVersion === undefined ? 'any' : appendOptions.expectedVersion;
      validateExpectedVersion(expected);
      const fencingTerm = appendOptions?.fencingTerm;
      validateFencingTerm(fencingTerm);
      const batch = prepareEvents(stream, events, maxEventBytes, now);

      // A retry answers before the version check: the stream has moved on by the retried batch itself.
      const retried = findRetriedBatch(stream, batch);
      if (retried) return appendResult(stream, retried);

      const streamEvents = streams.get(stream);
      const current = streamEvents?.length ?? 0;
      checkFencingTerm(stream, fencingTerm, fencingTerms.get(stream) ?? 0);
      checkExpectedVersion(stream, expected, current);
      for (const event of batch) {
        if (byId.has(event.id)) throw new DuplicateEventError(event.id, stream);
      }
      if (batch.length === 0) return { stream, events: [], version: current };

      // From here on nothing can throw, so the batch is stored whole.
      const target = streamEvents ?? [];
      if (!streamEvents) {
        streams.set(stream, target);
        sortedStreamIds = undefined;
      }
      const stored = batch.map((event, index): EventRecord => {
        const record: EventRecord = {
          id: event.id,
          stream,
          name: event.name,
          dataJson: event.dataJson,
          metaJson: event.metaJson,
          version: current + index + 1,
          position: all.length + 1,
          at: event.at,
        };
        all.push(record);
        target.push(record);
        byId.set(record.id, record);
        return record;
      });
      if (fencingTerm !== undefined) fencingTerms.set(stream, fencingTerm);
      if (hub.active) queueMicrotask(() => hub.wake());
      return appendResult(stream, stored);
    },

    async readStream(stream, readOptions) {
      ensureOpen();
      requireStreamArgument(stream);
      const { fromVersion, toVersion, limit } = resolveReadStream(readOptions);
      const events = streams.get(stream);
      if (!events) return [];
      const end = Math.min(events.length, toVersion, fromVersion - 1 + limit);
      return events.slice(fromVersion - 1, Math.max(fromVersion - 1, end)).map(toStoredEvent);
    },

    async readAll(readOptions) {
      ensureOpen();
      const { after, limit, names } = resolveReadAll(readOptions);
      const found: StoredEvent[] = [];
      const wanted = names && new Set(names);
      for (let index = after; index < all.length && found.length < limit; index++) {
        const record = all[index] as EventRecord;
        if (!wanted || wanted.has(record.name)) found.push(toStoredEvent(record));
      }
      return found;
    },

    async streamVersion(stream) {
      ensureOpen();
      requireStreamArgument(stream);
      return streams.get(stream)?.length ?? 0;
    },

    async listStreams(listOptions) {
      ensureOpen();
      const { after, limit, prefix } = resolveListStreams(listOptions);
      sortedStreamIds ??= [...streams.keys()].sort(compareCodePoints);
      const found: StreamInfo[] = [];
      for (const stream of sortedStreamIds) {
        if (found.length >= limit) break;
        if (after !== undefined && compareCodePoints(stream, after) <= 0) continue;
        if (!stream.startsWith(prefix)) continue;
        found.push({ stream, version: streams.get(stream)?.length ?? 0 });
      }
      return found;
    },

    async saveSnapshot(snapshot) {
      ensureOpen();
      const prepared = prepareSnapshot(snapshot, maxSnapshotBytes);
      const slot = snapshotSlot(prepared.stream, prepared.key);
      const saved = snapshots.get(slot);
      if (saved !== undefined && saved.version > prepared.version) return;
      snapshots.set(slot, { ...prepared, at: now().toISOString() });
    },

    async readSnapshot(stream, key) {
      ensureOpen();
      requireStreamArgument(stream);
      const saved = snapshots.get(snapshotSlot(stream, key));
      if (saved === undefined) return undefined;
      const snapshot: Snapshot = {
        stream: saved.stream,
        key: saved.key,
        version: saved.version,
        fingerprint: saved.fingerprint,
        state: JSON.parse(saved.stateJson) as unknown,
        at: saved.at,
      };
      return snapshot;
    },

    async subscribe(listener, subscribeOptions) {
      ensureOpen();
      return hub.subscribe(listener, subscribeOptions);
    },

    async close() {
      // Closing twice is harmless; the memory is released with the store itself.
      closed = true;
      await hub.closeAll();
    },
  };
}

function snapshotSlot(stream: string, key: string): string {
  // A stream id holds no control character, so NUL cannot be part of one.
  return `${stream}\u0000${key}`;
}

function appendResult(stream: string, records: readonly EventRecord[]): AppendResult {
  const events = records.map(toStoredEvent);
  return { stream, events, version: records[records.length - 1]?.version ?? 0 };
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
