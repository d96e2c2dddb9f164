/**
 * The engine interface: the only layer that knows storage. Every engine (memory, SQLite, and the
 * server engines) implements it and passes the same conformance suite, so nothing above this file
 * branches on which engine it talks to.
 *
 * Guarantees every engine gives:
 * - an append is atomic: all of its events are stored, or none;
 * - versions in a stream are 1, 2, 3, … with no gap and no duplicate, whatever the concurrency;
 * - positions strictly increase in the order `readAll` returns events, and a reader following by
 *   position never skips an event that commits later;
 * - an append retried with the same event ids stores them once and answers as the first one did;
 * - an append carrying a fencing term lower than one that already wrote to its stream is refused;
 * - every stored event is notified to every subscriber, at least once.
 *
 * Every engine goes through one shared facade (`store-facade.ts`) for what must not differ between
 * engines: lifecycle, argument checks, event preparation and the subscription rules below.
 *
 * Subscriptions, the same on every engine:
 * - the listener must be a function, `after` (if given) a whole number >= 0, and `onError` (if
 *   given) a function; anything else rejects with `UsageError`;
 * - `after: n` delivers every event at a position above n, then the live ones; without it, only
 *   events stored after the subscription is established;
 * - nothing a subscriber supplies can stop its deliveries: a listener that throws is reported to
 *   `onError`, and an `onError` that throws is ignored;
 * - a stored row that cannot be read is reported once to `onError` as a `CorruptEventError`
 *   naming its position, and delivery goes on past it.
 *
 * Process lifetime, the same on every engine: an open subscription (`subscribe`, which is what a
 * loaded LiveActor holds through the live feed until `Dispose()`) keeps the process alive until
 * it is closed or the store is closed. Once nothing is subscribed, the store's idle connections,
 * pollers and timers never keep the process alive, whether or not the store was closed.
 */
import type { ExpectedVersion } from '../errors.js';
import type { NewEvent, StoredEvent } from '../events/envelope.js';

export type { ExpectedVersion };

export interface AppendOptions {
  /**
   * `'any'` (the default): no check. `'no-stream'` (or `0`): the stream must have no events.
   * `'exists'`: it must have at least one. A number: the stream must be at exactly that version.
   * A mismatch rejects with `ConcurrencyError` and stores nothing.
   */
  expectedVersion?: ExpectedVersion;
  /**
   * The writer's fencing term (a leader's lease term, a whole number >= 1). The stream remembers
   * the highest term that wrote to it: an append with a lower term is refused with `FencedError`
   * and stores nothing, so a deposed leader cannot write after its successor has. Omitted: no
   * check, and the stream's term is left as it is.
   */
  fencingTerm?: number;
}

export interface AppendResult {
  readonly stream: string;
  /** The events as stored, in order. */
  readonly events: readonly StoredEvent[];
  /** The stream's version after the append: the version to expect next time. */
  readonly version: number;
}

export interface ReadStreamOptions {
  /** The first version to read (default 1). */
  fromVersion?: number;
  /** The last version to read, inclusive (default: the end of the stream). */
  toVersion?: number;
  /** At most this many events (default: no limit). */
  limit?: number;
}

export interface ReadAllOptions {
  /** Read events after this position (exclusive; default 0, the beginning). */
  after?: number;
  /** At most this many events (default 1000). */
  limit?: number;
  /** Only events with one of these names. */
  names?: readonly string[];
}

/** A memo of one actor class's state at one version of a stream. */
export interface Snapshot {
  readonly stream: string;
  /**
   * Whose view of the stream this is (an actor class's name): actors of different classes share a
   * stream, but not a state.
   */
  readonly key: string;
  /** The version of the last event the state covers. */
  readonly version: number;
  /** The fingerprint of the handlers' meaning that produced the state; a reader ignores a mismatch. */
  readonly fingerprint: string;
  /** A JSON value. */
  readonly state: unknown;
  /** When it was saved, ISO-8601. */
  readonly at: string;
}

export type NewSnapshot = Omit<Snapshot, 'at'>;

/** Tells a subscriber that an event was stored. */
export interface EventNotification {
  readonly stream: string;
  readonly version: number;
  readonly position: number;
  readonly name: string;
  /** The event itself, when it fitted in the notification; otherwise read it from the store. */
  readonly event?: StoredEvent;
}

export interface SubscribeOptions {
  /**
   * Also notify every event stored after this position, before the live ones (default: only
   * events stored after the subscription is established). A whole number >= 0, else `UsageError`.
   */
  after?: number;
  /**
   * Hears problems the subscription recovers from by itself (a lost connection, before it
   * reconnects and catches up), what a listener threw, and each stored row that cannot be read
   * (a `CorruptEventError` naming its position, reported once; delivery goes on past it).
   * Default: the store logs nothing and retries. A hook that throws is ignored.
   */
  onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Stops the notifications; resolves once no more will be delivered. */
  close(): Promise<void>;
}

export type NotificationListener = (notifications: readonly EventNotification[]) => void;

export interface StreamInfo {
  readonly stream: string;
  /** The stream's current version: its number of events. */
  readonly version: number;
}

export interface ListStreamsOptions {
  /** Streams whose id sorts after this one (for paging; exclusive). */
  after?: string;
  /** At most this many streams (default 1000). */
  limit?: number;
  /** Only streams whose id starts with this text. */
  prefix?: string;
}

export interface StoreLimits {
  /** The largest event data (and, separately, metadata), in UTF-8 bytes of JSON. */
  readonly maxEventBytes: number;
  /** The largest snapshot state, in UTF-8 bytes of JSON. */
  readonly maxSnapshotBytes: number;
}

export interface EventStore {
  /** The engine's name, for messages and tooling: `'memory'`, `'sqlite'`, … */
  readonly engine: string;
  readonly limits: StoreLimits;
  appendToStream(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** The stream's current version; 0 when it has no events. */
  streamVersion(stream: string): Promise<number>;
  /** Streams in id order. */
  listStreams(options?: ListStreamsOptions): Promise<StreamInfo[]>;
  /** Saves a snapshot, unless one at a higher version is already saved for the same stream and key. */
  saveSnapshot(snapshot: NewSnapshot): Promise<void>;
  /** The newest snapshot of a stream for a key, whatever its fingerprint; `undefined` if none. */
  readSnapshot(stream: string, key: string): Promise<Snapshot | undefined>;
  /**
   * Notifies `listener` of stored events. Every event stored after the subscription resolves (or
   * after `options.after`) is notified at least once, in batches; notifications may arrive out of
   * order or twice (after a reconnection, say), so a consumer orders them by version or position
   * and drops what it has. A listener that throws does not stop the subscription. An open
   * subscription keeps the process alive until it, or the store, is closed.
   */
  subscribe(listener: NotificationListener, options?: SubscribeOptions): Promise<Subscription>;
  /**
   * Releases the store's resources once every call made before it has been answered (an append
   * called before `close` is stored); every later call rejects with `StoreUnavailableError`, and no
   * notification is delivered once `close` was called. Closing again returns the same promise.
   */
  close(): Promise<void>;
}

/** Options every engine takes. */
export interface StoreOptions {
  /** The largest event data in UTF-8 bytes of JSON (default 1 MiB). */
  maxEventBytes?: number;
  /** The largest snapshot state in UTF-8 bytes of JSON (default 64 MiB). */
  maxSnapshotBytes?: number;
  /**
   * The clock that stamps events appended without a time, and snapshots (default: the system
   * clock). It must return a valid `Date` in the years 0001 to 9999, like an explicit `at`; an
   * append or snapshot stamped otherwise is refused with `UsageError` naming `now`, storing nothing.
   */
  now?: () => Date;
}
