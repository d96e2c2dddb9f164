/**
 * The typed errors of Omniscient. Every error has a stable `code` so that callers can branch on it
 * without string matching, and carries the facts a caller needs to act on it.
 */

export type ErrorCode =
  | 'CONCURRENCY'
  | 'INVALID_EVENT'
  | 'INVALID_ACTOR_ID'
  | 'DUPLICATE_EVENT'
  | 'FENCED'
  | 'STORE_UNAVAILABLE'
  | 'CORRUPT_EVENT'
  | 'HANDLER_FAILED'
  | 'MISSING_SERVICE'
  | 'USAGE';

export abstract class OmniscientError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What an append expected of its stream's version. */
export type ExpectedVersion = 'any' | 'no-stream' | 'exists' | number;

/** An append's expected version did not hold: another writer got there first. */
export class ConcurrencyError extends OmniscientError {
  readonly code = 'CONCURRENCY';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the append was refused (0: the stream has no events). */
    readonly actual: number,
  ) {
    super(
      `stream "${stream}" is at version ${actual}, but the append expected ${describeExpected(expected)}`,
    );
  }
}

function describeExpected(expected: ExpectedVersion): string {
  if (expected === 'no-stream') return 'no stream';
  if (expected === 'exists') return 'an existing stream';
  return `version ${expected}`;
}

/** An event that cannot be stored: a bad name or stream id, data that is not JSON-safe, or too large. */
export class InvalidEventError extends OmniscientError {
  readonly code = 'INVALID_EVENT';
  constructor(
    /** Where the problem is, e.g. `name`, `stream`, `data.items[2].at`. */
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid event: ${path} ${reason}`, options);
  }
}

/**
 * An actor constructed, or listened to, with an id that cannot be a stream id. The id of an actor
 * is the id of its stream, so the rules are a stream id's: 1 to 256 characters (less for an
 * elected actor, whose request stream adds a prefix), no control characters, no leading or
 * trailing white space.
 */
export class InvalidActorIdError extends OmniscientError {
  readonly code = 'INVALID_ACTOR_ID';
  constructor(
    /** Where the id was given, e.g. `new User(id, container)` or `Saga.ListenTo(actorId, listener)`. */
    readonly where: string,
    /** The id as given (any value: a caller may have passed something that is not a string). */
    readonly id: unknown,
    readonly reason: string,
  ) {
    super(`invalid actor id in ${where}: ${reason}`);
  }
}

/** An event id that is already stored, by an append that is not a retry of the one that stored it. */
export class DuplicateEventError extends OmniscientError {
  readonly code = 'DUPLICATE_EVENT';
  constructor(
    readonly eventId: string,
    readonly stream: string,
  ) {
    super(`event id "${eventId}" is already stored and this append is not a retry of the one that stored it`);
  }
}

/** An append with a fencing term lower than one that already wrote to the stream: its writer was deposed. */
export class FencedError extends OmniscientError {
  readonly code = 'FENCED';
  constructor(
    readonly stream: string,
    /** The term the refused append carried. */
    readonly term: number,
    /** The highest term that has written to the stream. */
    readonly currentTerm: number,
  ) {
    super(
      `stream "${stream}" was written with fencing term ${currentTerm}; an append with term ${term} is refused`,
    );
  }
}

/** The store could not be reached or used: closed, down, locked, read-only, or not a store at all. */
export class StoreUnavailableError extends OmniscientError {
  readonly code = 'STORE_UNAVAILABLE';
  /** True when the store was closed by its owner: it will never answer again, so retrying is pointless. */
  readonly closed: boolean;
  constructor(message: string, options?: { cause?: unknown; closed?: boolean }) {
    super(message, options);
    this.closed = options?.closed ?? false;
  }
}

/** A stored row that cannot be read back as an event. Nothing is guessed: the reader stops here. */
export class CorruptEventError extends OmniscientError {
  readonly code = 'CORRUPT_EVENT';
  constructor(
    readonly where: { stream?: string; position?: number; version?: number },
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt stored event ${JSON.stringify(where)}: ${reason}`, options);
  }
}

/**
 * A handler threw while applying an event, or an upcaster (`static upcasters`) threw or returned
 * something that is not an event while reading it; the actor's state stops before that event.
 */
export class HandlerError extends OmniscientError {
  readonly code = 'HANDLER_FAILED';
  constructor(
    readonly actor: string,
    /** The event being applied; for an upcaster, the event as stored. */
    readonly event: { name: string; stream: string; version: number },
    cause: unknown,
    /** What failed: the handler of the event, or the upcaster of its stored name. */
    readonly stage: 'handler' | 'upcaster' = 'handler',
  ) {
    super(
      stage === 'handler'
        ? `${actor}.${event.name} threw while applying version ${event.version} of "${event.stream}": ${messageOf(cause)}`
        : `${actor}'s upcaster failed on stored event "${event.name}", version ${event.version} of "${event.stream}": ${messageOf(cause)}`,
      { cause },
    );
  }
}

/**
 * An actor needs a service the container was not given: one its class declares (`static services`),
 * checked when the actor is constructed, or one asked for by name with `container.service(name)`.
 */
export class MissingServiceError extends OmniscientError {
  readonly code = 'MISSING_SERVICE';
  constructor(
    readonly service: string,
    /** The class that declares the service, when the check came from a declaration. */
    readonly actor?: string,
  ) {
    super(
      actor === undefined
        ? `the container has no service named "${service}"; pass it to createContainer({ store, ${service} })`
        : `${actor} declares the service "${service}" (static services), but its container has none; ` +
            `pass it to createContainer({ store, ${service} })`,
    );
  }
}

/** The library was used in a way it does not support, e.g. firing an event from inside a handler. */
export class UsageError extends OmniscientError {
  readonly code = 'USAGE';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
