/**
 * The events a leader appends for others: a request it serves (the requester's id, name, data and
 * time) and its own (ticks), each marked with the leader's term. Nobody on the leader awaits them:
 * the outcome reaches whoever cares through the store.
 */
import { encodedDataOf, encodedEvent, encodedMetaOf } from '../events/encoded-event.js';
import type { Request } from '../leadership/requests.js';
import { firedEventOf, type FiredEvent } from './kind-policy.js';

/** The fired event a leader serves for a request, marked with the request's number and the term. */
export function firedForRequest(className: string, request: Request, term: number): FiredEvent {
  return firedEventOf(
    encodedEvent({
      id: request.eventId,
      name: request.eventName,
      dataJson: JSON.stringify(request.data ?? null),
      metaJson: JSON.stringify({
        ...request.eventMeta,
        actor: request.actor || className,
        request: request.version,
        term,
      }),
      at: request.eventAt,
    }),
  );
}

/**
 * The same fired event, its metadata naming the leader's term: a reader of the stream can tell
 * which tenure wrote each event (terms never go down along a stream's versions).
 */
export function withTerm(fired: FiredEvent, term: number): FiredEvent {
  const meta = JSON.parse(encodedMetaOf(fired.event) ?? JSON.stringify(fired.event.meta ?? {})) as object;
  const event = encodedEvent({
    id: fired.event.id,
    name: fired.event.name,
    dataJson: encodedDataOf(fired.event) ?? JSON.stringify(fired.event.data ?? null),
    metaJson: JSON.stringify({ ...meta, term }),
    at: atOf(fired.event.at),
  });
  return { ...fired, event };
}

export function atOf(at: string | Date | undefined): string {
  return typeof at === 'string' ? at : (at ?? new Date()).toISOString();
}
