/**
 * The in-memory engine: every event of one process, held in arrays (`memory-log.ts`). It is what
 * tests and the `Given` DSL run on, so it keeps every promise of the engine interface that one
 * process can observe, exactly as the persistent engines do, and goes through the same facade
 * (`store-facade.ts`) for every check.
 *
 * Events are kept as the JSON text `prepareEvents` produced and parsed again on every read. Each
 * read therefore returns new, mutable objects, as a persistent engine does: a caller can change
 * what it was given without changing the store, a handler may keep part of an event in its state
 * and change it later, and a `Date` fired is read back as a string. Deep-freezing stored objects
 * would be cheaper, but would make such handlers throw only under this engine, so tests would stop
 * behaving like production.
 */
import type { EventStore, Snapshot, StoreOptions } from '../engine.js';
import { resolveStoreOptions } from '../options.js';
import type { PreparedSnapshot } from '../snapshot-rules.js';
import { engineStore } from '../store-facade.js';
import { SubscriptionHub } from '../subscription-hub.js';
import { memoryLeases } from './memory-leases.js';
import { MemoryLog } from './memory-log.js';

export function memoryStore(options?: StoreOptions): EventStore {
  const log = new MemoryLog();
  /** The newest snapshot per stream and key. */
  const snapshots = new Map<string, PreparedSnapshot & { at: string }>();
  const hub = new SubscriptionHub({
    readAfter: async (position, limit) => log.readAll({ after: position, limit, names: undefined }),
    lastPosition: async () => log.lastPosition,
  });
  const resolved = resolveStoreOptions(options);
  const store = engineStore({
    engine: 'memory',
    title: 'the memory store',
    options: resolved,
    storage: {
      ...memoryLeases(resolved.now),
      append(stream, batch, expected, fencingTerm) {
        const result = log.append(stream, batch, expected, fencingTerm);
        if (hub.active && result.events.length > 0) queueMicrotask(() => hub.wake());
        return result;
      },
      readStream: (stream, range) => log.readStream(stream, range),
      readAll: (resolved) => log.readAll(resolved),
      streamVersion: (stream) => log.streamVersion(stream),
      listStreams: (resolved) => log.listStreams(resolved),
      saveSnapshot(prepared, at) {
        const slot = snapshotSlot(prepared.stream, prepared.key);
        const saved = snapshots.get(slot);
        if (saved === undefined || saved.version <= prepared.version)
          snapshots.set(slot, { ...prepared, at });
      },
      readSnapshot: (stream, key) => snapshotOf(snapshots.get(snapshotSlot(stream, key))),
      subscribe: (listener, resolved) => hub.subscribe(listener, resolved),
      // The memory is released with the store itself.
      close: () => hub.closeAll(),
    },
  });
  // The memory engine has no start-up: `ready` is not part of its face.
  const { ready: _ready, ...memory } = store;
  return memory;
}

function snapshotSlot(stream: string, key: string): string {
  // A stream id holds no control character, so NUL cannot be part of one.
  return `${stream}\u0000${key}`;
}

function snapshotOf(saved: (PreparedSnapshot & { at: string }) | undefined): Snapshot | undefined {
  if (saved === undefined) return undefined;
  return {
    stream: saved.stream,
    key: saved.key,
    version: saved.version,
    fingerprint: saved.fingerprint,
    state: JSON.parse(saved.stateJson) as unknown,
    at: saved.at,
  };
}
