/**
 * The event envelope: what a stored event is, and what a writer gives to have one stored.
 */

/** A JSON value, as stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An event's metadata: the firing actor's class and, where known, what caused it. */
export interface EventMeta {
  /** The class name of the actor that fired the event. */
  actor?: string;
  /** The id of the event or command that caused this one. */
  causationId?: string;
  /** The id shared by every event of one conversation or workflow. */
  correlationId?: string;
  [key: string]: JsonValue | undefined;
}

/** An event as the store holds it. */
export interface StoredEvent<Name extends string = string, Data = unknown> {
  /** A unique id (a UUID unless the writer chose its own). */
  readonly id: string;
  /** The stream, which is the id of the actor that owns it. */
  readonly stream: string;
  readonly name: Name;
  /** A JSON value (a `Date` given when firing is read back as its ISO-8601 string). */
  readonly data: Data;
  /** Its 1-based place in its stream: 1, 2, 3, … with no gap. */
  readonly version: number;
  /** Its place in the whole store: strictly increasing in the order a reader of the whole store sees events. */
  readonly position: number;
  /** When it was recorded, ISO-8601. */
  readonly at: string;
  readonly meta: EventMeta;
}

/** An event to be appended. The store gives it its version, position and, if missing, id and time. */
export interface NewEvent<Name extends string = string, Data = unknown> {
  /** Give an id to make an append safe to retry: the same ids are stored once. */
  id?: string;
  name: Name;
  /** Omitted data is stored as `null`. */
  data?: Data;
  meta?: EventMeta;
  /** Defaults to the store's clock at append time. */
  at?: string | Date;
}

/** A map from event name to the type of its data, as used by typed actors: `{ logged_in: { token: string } }`. */
export type EventMap = object;
