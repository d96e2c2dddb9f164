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
 * - an append retried with the same event ids stores them once and answers as the first one did.
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
  /** Releases the store's resources; every later call rejects with `StoreUnavailableError` (closing again is harmless). */
  close(): Promise<void>;
}

/** Options every engine takes. */
export interface StoreOptions {
  /** The largest event data in UTF-8 bytes of JSON (default 1 MiB). */
  maxEventBytes?: number;
  /** The clock that stamps events appended without a time (default: the system clock). */
  now?: () => Date;
}
