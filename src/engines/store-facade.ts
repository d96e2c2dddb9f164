/**
 * The one face every engine shows: an engine supplies only its storage primitives (`EngineStorage`:
 * append a checked batch, read, list, snapshots, subscribe), and this layer does everything that
 * must be the same on every engine, once:
 * - lifecycle (`lifecycle.ts`): an optional start-up (`prepare`: connect, migrate), run on first
 *   use and tried again after a failure; every call made before `close` is answered, every call
 *   after it rejects with `StoreUnavailableError`, and `close` releases the storage once;
 * - argument and option checks (`options.ts`), and event and snapshot preparation
 *   (`append-rules.ts`, `snapshot-rules.ts`), the store's clock included, before the storage sees
 *   anything;
 * - lease calls (`lease-rules.ts`): names, holders, TTLs and terms checked the same way everywhere;
 * - the empty reads every engine answers without asking its storage (a limit of 0, an empty range);
 * - subscriptions (`facade-subscriptions.ts`): nothing delivered after `close`, nor by a
 *   `subscribe` that rejects; and the process-lifetime rule (`process-hold.ts`): open
 *   subscriptions hold the process, nothing else does.
 *
 * Storage primitives may answer synchronously (SQLite's driver does): a call then runs from its
 * checks to its answer without awaiting anything, so the facade adds no microtask to its path.
 * The object returned is plain (its methods are own properties), so callers may spread it.
 */
import type { NewEvent, StoredEvent } from '../events/envelope.js';
import {
  clockTime,
  prepareEvents,
  validateExpectedVersion,
  validateFencingTerm,
  type PreparedEvent,
} from './append-rules.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedVersion,
  LeaseAnswer,
  LeaseOptions,
  LeaseRenewal,
  LeaseState,
  NotificationListener,
  Snapshot,
  StreamInfo,
  Subscription,
} from './engine.js';
import { subscribeCall } from './facade-subscriptions.js';
import { requireLeaseTerm, requireLeaseText, requireLeaseTtl } from './lease-rules.js';
import { Lifecycle, type Answer } from './lifecycle.js';
import {
  readOptions,
  requireSnapshotKeyArgument,
  requireStreamArgument,
  resolveListStreams,
  resolveReadAll,
  resolveReadStream,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type ResolvedStoreOptions,
  type ResolvedSubscribe,
  type VersionRange,
} from './options.js';
import { prepareSnapshot, type PreparedSnapshot } from './snapshot-rules.js';

/** What an engine stores and reads, called only with checked, resolved arguments on an open store. */
export interface EngineStorage {
  /** Stores a prepared batch atomically, or answers a retry (see `append-results.ts`). */
  append(
    stream: string,
    batch: readonly PreparedEvent[],
    expected: ExpectedVersion,
    fencingTerm: number | undefined,
  ): Answer<AppendResult>;
  /** Never called with an empty range or a limit of 0. */
  readStream(stream: string, range: VersionRange): Answer<StoredEvent[]>;
  /** Never called with a limit of 0 or an empty list of names. */
  readAll(options: ResolvedReadAll): Answer<StoredEvent[]>;
  streamVersion(stream: string): Answer<number>;
  /** Never called with a limit of 0. */
  listStreams(options: ResolvedListStreams): Answer<StreamInfo[]>;
  saveSnapshot(snapshot: PreparedSnapshot, at: string): Answer<void>;
  readSnapshot(stream: string, key: string): Answer<Snapshot | undefined>;
  subscribe(listener: NotificationListener, options: ResolvedSubscribe): Promise<Subscription>;
  /** The lease calls of `LeaseStore`, each one atomic step on the store's clock (see `lease-rules.ts`). */
  acquireLease(name: string, holder: string, ttlMs: number): Answer<LeaseAnswer>;
  takeOverLease(name: string, holder: string, ttlMs: number, term: number): Answer<LeaseAnswer>;
  renewLeases(holder: string, ttlMs: number): Answer<LeaseRenewal | undefined>;
  releaseLease(name: string, holder: string): Answer<boolean>;
  releaseHolder(holder: string): Answer<void>;
  readLease(name: string): Answer<LeaseState>;
  /** Releases the storage; called once, after every other call settled, and no other call comes after. */
  close(): Answer<void>;
}

export interface EngineDefinition {
  readonly engine: string;
  /** How messages name this store, e.g. `the SQLite store "app.sqlite"`. */
  readonly title: string;
  readonly options: ResolvedStoreOptions;
  readonly storage: EngineStorage;
  /** Connects and brings the storage up to date; run before the first call that needs the storage. */
  readonly prepare?: () => Promise<void>;
  /** Refuses, after the shared checks, what this engine cannot store. */
  readonly refuseUnstorable?: (batch: readonly PreparedEvent[]) => void;
}

export interface FacadeStore extends EventStore {
  /** Runs the engine's start-up now (connect, migrate), to fail fast on a wrong address. */
  ready(): Promise<void>;
}

export function engineStore(definition: EngineDefinition): FacadeStore {
  const life = new Lifecycle(definition.title, definition.prepare);
  const { maxEventBytes, maxSnapshotBytes } = definition.options;
  return {
    engine: definition.engine,
    limits: Object.freeze({ maxEventBytes, maxSnapshotBytes }),
    async ready() {
      life.ensureOpen();
      await life.run(() => undefined);
    },
    appendToStream: appendCall(definition, life),
    ...readCalls(definition.storage, life),
    ...snapshotCalls(definition, life),
    ...leaseCalls(definition.storage, life),
    subscribe: subscribeCall((listener, resolved) => definition.storage.subscribe(listener, resolved), life),
    // Closing twice is harmless (a shutdown path may not know whether the store was closed), and
    // a second close waits for the same release as the first.
    close: () => life.close(() => definition.storage.close()),
  };
}

function appendCall(definition: EngineDefinition, life: Lifecycle): EventStore['appendToStream'] {
  const { storage, refuseUnstorable } = definition;
  const { maxEventBytes, now } = definition.options;
  return async (stream: string, events: readonly NewEvent[], options?: AppendOptions) => {
    life.ensureOpen();
    const { expected, fencingTerm } = readOptions('the append options', () => {
      const expectedVersion: unknown = options?.expectedVersion;
      return {
        expected: expectedVersion === undefined ? 'any' : expectedVersion,
        fencingTerm: options?.fencingTerm,
      };
    });
    validateExpectedVersion(expected);
    validateFencingTerm(fencingTerm);
    const batch = prepareEvents(stream, events, maxEventBytes, now);
    refuseUnstorable?.(batch);
    return life.run(() => storage.append(stream, batch, expected, fencingTerm));
  };
}

function readCalls(
  storage: EngineStorage,
  life: Lifecycle,
): Pick<EventStore, 'readStream' | 'readAll' | 'streamVersion' | 'listStreams'> {
  return {
    async readStream(stream, options) {
      life.ensureOpen();
      requireStreamArgument(stream);
      const range = resolveReadStream(options);
      if (range.limit === 0 || range.toVersion < range.fromVersion) return [];
      return life.run(() => storage.readStream(stream, range));
    },
    async readAll(options) {
      life.ensureOpen();
      const resolved = resolveReadAll(options);
      if (resolved.limit === 0 || resolved.names?.length === 0) return [];
      return life.run(() => storage.readAll(resolved));
    },
    async streamVersion(stream) {
      life.ensureOpen();
      requireStreamArgument(stream);
      return life.run(() => storage.streamVersion(stream));
    },
    async listStreams(options) {
      life.ensureOpen();
      const resolved = resolveListStreams(options);
      if (resolved.limit === 0) return [];
      return life.run(() => storage.listStreams(resolved));
    },
  };
}

function snapshotCalls(
  definition: EngineDefinition,
  life: Lifecycle,
): Pick<EventStore, 'saveSnapshot' | 'readSnapshot'> {
  const { storage } = definition;
  const { maxSnapshotBytes, now } = definition.options;
  return {
    async saveSnapshot(snapshot) {
      life.ensureOpen();
      const prepared = prepareSnapshot(snapshot, maxSnapshotBytes);
      const at = clockTime(now);
      await life.run(() => storage.saveSnapshot(prepared, at));
    },
    async readSnapshot(stream, key) {
      life.ensureOpen();
      requireStreamArgument(stream);
      requireSnapshotKeyArgument(key);
      return life.run(() => storage.readSnapshot(stream, key));
    },
  };
}

function leaseCalls(
  storage: EngineStorage,
  life: Lifecycle,
): Pick<
  EventStore,
  'acquireLease' | 'takeOverLease' | 'renewLeases' | 'releaseLease' | 'releaseHolder' | 'readLease'
> {
  return {
    async acquireLease(name, options) {
      life.ensureOpen();
      requireLeaseText(name, 'lease name');
      const { holder, ttlMs } = leaseOptions('the acquireLease options', options);
      return life.run(() => storage.acquireLease(name, holder, ttlMs));
    },
    async takeOverLease(name, options, term) {
      life.ensureOpen();
      requireLeaseText(name, 'lease name');
      const { holder, ttlMs } = leaseOptions('the takeOverLease options', options);
      requireLeaseTerm(term);
      return life.run(() => storage.takeOverLease(name, holder, ttlMs, term));
    },
    async renewLeases(holder, ttlMs) {
      life.ensureOpen();
      requireLeaseText(holder, 'holder');
      requireLeaseTtl(ttlMs);
      return life.run(() => storage.renewLeases(holder, ttlMs));
    },
    async releaseLease(name, holder) {
      life.ensureOpen();
      requireLeaseText(name, 'lease name');
      requireLeaseText(holder, 'holder');
      return life.run(() => storage.releaseLease(name, holder));
    },
    async releaseHolder(holder) {
      life.ensureOpen();
      requireLeaseText(holder, 'holder');
      await life.run(() => storage.releaseHolder(holder));
    },
    async readLease(name) {
      life.ensureOpen();
      requireLeaseText(name, 'lease name');
      return life.run(() => storage.readLease(name));
    },
  };
}

function leaseOptions(what: string, options: LeaseOptions): LeaseOptions {
  const { holder, ttlMs } = readOptions(what, () => ({
    holder: options.holder as unknown,
    ttlMs: options.ttlMs as unknown,
  }));
  requireLeaseText(holder, 'holder');
  requireLeaseTtl(ttlMs);
  return { holder, ttlMs };
}
