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
 * - every stored event is notified to every subscriber, at least once;
 * - leases (below) are judged and granted in one atomic step on the store's own clock, and each new
 *   tenure of a lease carries a term higher than every earlier one.
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
   * the highest term it has accepted: an append with a lower term is refused with `FencedError`
   * and stores nothing, so a deposed leader cannot write after its successor has. An append of no
   * events with a term fences the stream too: checked as any other, it raises the stream's term to
   * its own in the same atomic step and stores nothing else, so a new leader can fence a stream
   * before it reads it and decides, even one with no events yet (such a stream stays unlisted, at
   * version 0). Omitted: no check, and the stream's term is left as it is.
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

/** How to ask for a lease: who asks, and for how long from the store's now. */
export interface LeaseOptions {
  /**
   * Who holds the lease: one id per process (a node), for every lease it holds, e.g. a random id
   * made at start-up. Never reuse a holder id in two processes at once: the store cannot tell them
   * apart. 1 to 256 characters, no control characters.
   */
  holder: string;
  /**
   * How long the holder's tenure lasts without renewal, in milliseconds of the store's clock (a
   * whole number from 1 to 2 147 483 647). It sets the expiry of the holder's every lease: one
   * holder id should use one TTL.
   */
  ttlMs: number;
}

/** One unbroken tenure of a lease, as the store saw it when it answered. */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /**
   * Names the tenure: every new tenure of a lease (another holder, or the same holder after its
   * tenure lapsed or was released) has a term higher than every earlier one, from 1. Pass it as
   * the `fencingTerm` of every append made as the lease's holder.
   */
  readonly term: number;
  /** When the tenure ends unless renewed, ISO-8601, on the store's clock. */
  readonly expiresAt: string;
  /**
   * How long the tenure had left when the store answered, in milliseconds of the store's clock:
   * what a caller measures against its own monotonic timer, never against its wall clock.
   */
  readonly expiresInMs: number;
}

/**
 * `acquireLease`'s and `takeOverLease`'s answer: granted to the caller, or held by another (who, in
 * which term, until when).
 */
export type LeaseAnswer = (Lease & { readonly granted: true }) | (Lease & { readonly granted: false });

/** What `readLease` tells tooling and followers about a lease. */
export interface LeaseState {
  readonly name: string;
  /** The term of the latest tenure granted; 0 if the lease was never granted. */
  readonly term: number;
  /** The live tenure, or `undefined` when nobody holds the lease now. */
  readonly held: Lease | undefined;
}

/** A holder's tenure after `renewLeases`: every lease it holds now lasts until `expiresAt`. */
export interface LeaseRenewal {
  readonly holder: string;
  readonly expiresAt: string;
  readonly expiresInMs: number;
}

/**
 * Leases: who *should* act for a name (a leader per actor id). Everything is judged and written in
 * one atomic step on the store's own clock (SQLite: the clock of the machine holding the file;
 * PostgreSQL: the server's `clock_timestamp()`; memory: the store's `now`), never a node's.
 *
 * A holder's tenure is kept once per holder, not per lease: `renewLeases` extends every lease the
 * holder has in one statement, so renewal costs one statement per process per period however
 * many leases it holds. A lease is held while its holder's tenure has not lapsed.
 *
 * Leases decide who should act; fencing terms decide what lands. A holder paused past its expiry,
 * or one whose lease was taken over, may still believe it leads: its appends carry its term as
 * `fencingTerm`, and once a successor (with a higher term) has written to a stream, they are
 * refused with `FencedError`.
 */
export interface LeaseStore {
  /**
   * Grants `name` to `holder` if nobody holds it, if its tenure lapsed, or if `holder` already
   * holds it, and extends the holder's tenure (all of its leases) to `ttlMs` from the store's now.
   * The holder keeps its term while its tenure is unbroken; any new tenure gets the previous
   * term + 1. If the holder's own tenure had lapsed, this starts a new one: the leases of the
   * lapsed tenure stay lost until acquired again. If another holder has `name`, nothing changes
   * and the answer says who, in which term, and for how long.
   */
  acquireLease(name: string, options: LeaseOptions): Promise<LeaseAnswer>;
  /**
   * Takes `name` from a holder that holds it but does not act (a leader that leaves requests
   * unanswered): granted to `holder` with a new term if the lease's latest term is still `term`
   * (the tenure the caller saw not acting), whoever holds it and however long its tenure has left;
   * also granted as `acquireLease` would when nobody holds it, or when `holder` holds it already.
   * If the latest term is not `term` (someone already took over, or it changed hands), nothing
   * changes and the answer says who holds it. Extends `holder`'s tenure like `acquireLease`. The
   * old holder keeps its tenure (its other leases), but its appends with the old term are refused
   * once the new holder has written. `term` is a whole number >= 1.
   */
  takeOverLease(name: string, options: LeaseOptions, term: number): Promise<LeaseAnswer>;
  /**
   * Extends every lease `holder` holds to `ttlMs` from the store's now, in one statement.
   * `undefined` if its tenure had already lapsed (or was released): its leases may have been
   * taken, and it keeps none of them; it must acquire each again, and gets a new term for each.
   */
  renewLeases(holder: string, ttlMs: number): Promise<LeaseRenewal | undefined>;
  /**
   * Hands `name` over at once: the next acquirer gets it without waiting, with a new term. True if
   * `holder` held it; otherwise nothing changes and the answer is false.
   */
  releaseLease(name: string, holder: string): Promise<boolean>;
  /** Ends `holder`'s tenure at once: every lease it holds is free (a graceful shutdown). */
  releaseHolder(holder: string): Promise<void>;
  /** Who holds `name` now, in which term and until when, for tooling and followers. */
  readLease(name: string): Promise<LeaseState>;
}

export interface EventStore extends LeaseStore {
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
   * The memory store also judges leases by it; SQLite and PostgreSQL judge leases by their own clock.
   */
  now?: () => Date;
}
