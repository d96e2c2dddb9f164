/**
 * The one face every engine shows: an engine supplies only its storage primitives (`EngineStorage`:
 * append a checked batch, read, list, snapshots, subscribe), and this layer does everything that
 * must be the same on every engine, once:
 * - lifecycle: an optional start-up (`prepare`: connect, migrate), run on first use and tried
 *   again after a failure; `close` idempotent; every call after `close` rejects with
 *   `StoreUnavailableError`;
 * - argument and option checks (`options.ts`), and event and snapshot preparation
 *   (`append-rules.ts`, `snapshot-rules.ts`), before the storage sees anything;
 * - the empty reads every engine answers without asking its storage (a limit of 0, an empty range);
 * - the process-lifetime rule (`process-hold.ts`): open subscriptions hold the process, nothing
 *   else does.
 *
 * Storage primitives may answer synchronously (SQLite's driver does): a call then runs from its
 * checks to its answer without awaiting anything, so the facade adds no microtask to its path.
 * The object returned is plain (its methods are own properties), so callers may spread it.
 */
import { StoreUnavailableError } from '../errors.js';
import type { NewEvent, StoredEvent } from '../events/envelope.js';
import {
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
  NotificationListener,
  Snapshot,
  StreamInfo,
  Subscription,
} from './engine.js';
import {
  requireStreamArgument,
  resolveListStreams,
  resolveReadAll,
  resolveReadStream,
  resolveSubscribe,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type ResolvedStoreOptions,
  type ResolvedSubscribe,
  type VersionRange,
} from './options.js';
import { ProcessHold } from './process-hold.js';
import { prepareSnapshot, type PreparedSnapshot } from './snapshot-rules.js';

type Answer<T> = T | Promise<T>;

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
  /** Releases the storage; called once, after which no other call comes. */
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

/** The store's state: open or closed, started or not. */
class Lifecycle {
  closed = false;
  readonly holds = new ProcessHold();
  #readiness: Promise<void> | undefined;

  constructor(private readonly definition: EngineDefinition) {}

  ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.definition.title} is closed`);
  }

  /** `undefined` when there is nothing to wait for, so that synchronous engines never await. */
  started(): Promise<void> | undefined {
    const prepare = this.definition.prepare;
    if (prepare === undefined) return undefined;
    // A failed start (server down) is not remembered: the next call tries again.
    this.#readiness ??= prepare().catch((error: unknown) => {
      this.#readiness = undefined;
      throw error;
    });
    return this.#readiness;
  }
}

export function engineStore(definition: EngineDefinition): FacadeStore {
  const life = new Lifecycle(definition);
  const { maxEventBytes, maxSnapshotBytes } = definition.options;
  return {
    engine: definition.engine,
    limits: Object.freeze({ maxEventBytes, maxSnapshotBytes }),
    async ready() {
      life.ensureOpen();
      await life.started();
    },
    appendToStream: appendCall(definition, life),
    ...readCalls(definition.storage, life),
    ...snapshotCalls(definition, life),
    subscribe: subscribeCall(definition.storage, life),
    async close() {
      // Closing twice is harmless: a shutdown path may not know whether the store was closed.
      if (life.closed) return;
      life.closed = true;
      life.holds.releaseAll();
      await definition.storage.close();
    },
  };
}

function appendCall(definition: EngineDefinition, life: Lifecycle): EventStore['appendToStream'] {
  const { storage, refuseUnstorable } = definition;
  const { maxEventBytes, now } = definition.options;
  return async (stream: string, events: readonly NewEvent[], options?: AppendOptions) => {
    life.ensureOpen();
    const expected = options?.expectedVersion === undefined ? 'any' : options.expectedVersion;
    validateExpectedVersion(expected);
    const fencingTerm = options?.fencingTerm;
    validateFencingTerm(fencingTerm);
    const batch = prepareEvents(stream, events, maxEventBytes, now);
    refuseUnstorable?.(batch);
    const starting = life.started();
    if (starting !== undefined) await starting;
    return storage.append(stream, batch, expected, fencingTerm);
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
      const starting = life.started();
      if (starting !== undefined) await starting;
      return storage.readStream(stream, range);
    },
    async readAll(options) {
      life.ensureOpen();
      const resolved = resolveReadAll(options);
      if (resolved.limit === 0 || resolved.names?.length === 0) return [];
      const starting = life.started();
      if (starting !== undefined) await starting;
      return storage.readAll(resolved);
    },
    async streamVersion(stream) {
      life.ensureOpen();
      requireStreamArgument(stream);
      const starting = life.started();
      if (starting !== undefined) await starting;
      return storage.streamVersion(stream);
    },
    async listStreams(options) {
      life.ensureOpen();
      const resolved = resolveListStreams(options);
      if (resolved.limit === 0) return [];
      const starting = life.started();
      if (starting !== undefined) await starting;
      return storage.listStreams(resolved);
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
      await life.started();
      await storage.saveSnapshot(prepared, now().toISOString());
    },
    async readSnapshot(stream, key) {
      life.ensureOpen();
      requireStreamArgument(stream);
      await life.started();
      return storage.readSnapshot(stream, key);
    },
  };
}

/**
 * Subscribes through the storage, holding the process while the subscription is open (see
 * `process-hold.ts`). A subscription that the store's close overtakes is closed at once.
 */
function subscribeCall(storage: EngineStorage, life: Lifecycle): EventStore['subscribe'] {
  return async (listener, options) => {
    life.ensureOpen();
    const resolved = resolveSubscribe(listener, options);
    await life.started();
    const subscription = await storage.subscribe(listener, resolved);
    if (life.closed) {
      await subscription.close();
      life.ensureOpen();
    }
    life.holds.acquire();
    let open = true;
    return {
      async close() {
        if (!open) return;
        open = false;
        if (!life.closed) life.holds.release();
        await subscription.close();
      },
    };
  };
}
