/**
 * Requests to a leader, kept in the store: the records a OneActor's followers and leaders write to
 * the request stream of an actor id, and how each is read back.
 *
 * A follower's `Fire` becomes a `request` record: the event's data as the record's data, and its
 * id, name and firing time in the record's metadata. The event id is chosen by the follower, so a
 * request that two leaders both serve (one deposed, one new) or that is served again after a
 * failover stores its event once: the second append is the store's retry of the first.
 *
 * A leader writes, with its fencing term, an `elected` record when it starts leading (so no
 * refusal from an earlier leader can land after it), a `refused` record for a request whose
 * handler refused it (the error, for the requester), and a `handover` record when it steps down
 * gracefully (followers then ask for the lease at once instead of waiting for a request to time
 * out).
 *
 * Which requests are served is derived from the streams themselves, never a side table: an event
 * served for a request carries the request's version in its metadata (`meta.request`), and a
 * refusal names it; a leader serves requests in version order, from just after the highest served.
 */
import { HandlerError, InvalidEventError, messageOf, UsageError, type ErrorCode } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { MAX_STREAM_ID_LENGTH } from '../events/names.js';

/** Stream ids starting with this hold requests; actors of the elected kinds cannot use it. */
export const REQUEST_STREAM_PREFIX = '$requests:';
/** The lease of an actor id's leader (OneActor and TickActor of one id share it: one stream, one leader). */
const LEASE_PREFIX = 'leader:';

/** The longest id an elected actor may have: its request stream's id must fit the store's limit. */
export const MAX_ELECTED_ID_LENGTH = MAX_STREAM_ID_LENGTH - REQUEST_STREAM_PREFIX.length;

export function requestStreamOf(id: string): string {
  return `${REQUEST_STREAM_PREFIX}${id}`;
}

export function leaseNameOf(id: string): string {
  return `${LEASE_PREFIX}${id}`;
}

/** What a request record carries besides the event's data, in its metadata. */
export interface RequestMeta {
  readonly actor: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly eventAt: string;
  /**
   * The event's own metadata besides its actor (what caused it, when a listener fired it), which
   * the leader stores with the event; absent when there is none.
   */
  readonly eventMeta?: Readonly<Record<string, unknown>>;
}

/** A request as a leader serves it. */
export interface Request extends RequestMeta {
  /** The request record's version in the request stream. */
  readonly version: number;
  readonly data: unknown;
}

/** What a refusal tells the requester: enough to rebuild the typed error the leader met. */
export interface Refusal {
  readonly request: number;
  readonly eventId: string;
  readonly eventName: string;
  /** The version the event would have had. */
  readonly version: number;
  readonly code: ErrorCode | 'UNKNOWN';
  readonly message: string;
  readonly actor?: string;
  readonly path?: string;
  readonly reason?: string;
}

export type RequestRecord =
  | { readonly kind: 'request'; readonly request: Request }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  | { readonly kind: 'elected'; readonly term: number }
  | { readonly kind: 'handover'; readonly term: number };

/** Reads a stored record of a request stream; `undefined` for one this version does not know. */
export function readRequestRecord(event: StoredEvent): RequestRecord | undefined {
  const data = event.data as Record<string, unknown> | null;
  const meta = event.meta as Record<string, unknown>;
  switch (event.name) {
    case 'request': {
      const { actor, eventId, eventName, eventAt, eventMeta } = meta;
      if (typeof eventId !== 'string' || typeof eventName !== 'string') return undefined;
      const isPlainObject = typeof eventMeta === 'object' && eventMeta !== null && !Array.isArray(eventMeta);
      return {
        kind: 'request',
        request: {
          version: event.version,
          data: event.data,
          actor: typeof actor === 'string' ? actor : '',
          eventId,
          eventName,
          eventAt: typeof eventAt === 'string' ? eventAt : event.at,
          ...(isPlainObject ? { eventMeta: eventMeta as Record<string, unknown> } : {}),
        },
      };
    }
    case 'refused': {
      if (data === null || typeof data !== 'object') return undefined;
      const { request, eventId, eventName, version, code, message } = data;
      if (typeof request !== 'number' || typeof eventId !== 'string') return undefined;
      return {
        kind: 'refused',
        refusal: {
          ...(data as object),
          request,
          eventId,
          eventName: typeof eventName === 'string' ? eventName : 'event',
          version: typeof version === 'number' ? version : 0,
          code: typeof code === 'string' ? (code as ErrorCode) : 'UNKNOWN',
          message: typeof message === 'string' ? message : 'the leader refused the request',
        },
      };
    }
    case 'elected':
    case 'handover': {
      const term = data !== null && typeof data === 'object' ? data.term : undefined;
      return typeof term === 'number' ? { kind: event.name, term } : undefined;
    }
    default:
      return undefined;
  }
}

/** The refusal record's data for `error`, met while serving `request`. */
export function refusalOf(request: Request, version: number, error: unknown): Refusal {
  const code = (error as { code?: unknown } | null)?.code;
  const base = {
    request: request.version,
    eventId: request.eventId,
    eventName: request.eventName,
    version,
    code: typeof code === 'string' ? (code as ErrorCode) : ('UNKNOWN' as const),
    message: messageOf(error),
  };
  if (error instanceof HandlerError) return { ...base, actor: error.actor, reason: messageOf(error.cause) };
  if (error instanceof InvalidEventError) return { ...base, path: error.path, reason: error.reason };
  return base;
}

/** The typed error a refusal stands for, as the requester's `Fire` rejects with it. */
export function errorOf(refusal: Refusal, stream: string): Error {
  switch (refusal.code) {
    case 'HANDLER_FAILED':
      return new HandlerError(
        refusal.actor ?? 'the leader',
        { name: refusal.eventName, stream, version: refusal.version },
        new Error(refusal.reason ?? refusal.message),
      );
    case 'INVALID_EVENT':
      return new InvalidEventError(refusal.path ?? 'event', refusal.reason ?? refusal.message);
    default:
      return new UsageError(`the leader refused the event: ${refusal.message}`);
  }
}
