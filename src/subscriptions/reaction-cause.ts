/**
 * What a reaction records about its cause, in its own event's metadata, and the checkpoint a
 * listener resumes from, derived from those records.
 *
 * A listener that reacts by firing stores, with each event it fires, the event that caused it:
 * `meta.causationId` (the cause's id), `meta.correlationId` (the cause's correlation id, or the
 * cause's id when it had none) and `meta.reaction` (which listener, and where the cause sits).
 * The listener's checkpoint is the last cause its class reacted to, read back from its own stream:
 * the events stay the single source of truth, and no side table can disagree with them. A
 * reaction and its checkpoint are one append, so a crash can lose neither without the other.
 */
import type { EventMeta, JsonValue, StoredEvent } from '../events/envelope.js';

/** `meta.reaction` of an event fired by a listener. */
export interface ReactionCause {
  /** Which listener reacted: `to:<stream>` for `ListenTo`, `for:<event name>` for `ListenFor`. */
  readonly listener: string;
  readonly stream: string;
  readonly version: number;
  readonly position: number;
}

/** A listener's key: what it listens to. One actor class has one listener per key. */
export function listenerKey(kind: 'to' | 'for', target: string): string {
  return `${kind}:${target}`;
}

/**
 * Where a listener is in what it hears, as a number that only grows: the cause's version for
 * `ListenTo` (one stream, in version order), its position for `ListenFor` (in position order).
 */
export function checkpointOf(cause: Pick<ReactionCause, 'listener' | 'version' | 'position'>): number {
  return cause.listener.startsWith('to:') ? cause.version : cause.position;
}

/** The metadata of an event fired by `actor` in reaction to `cause`, heard by `listener`. */
export function reactionMeta(actor: string, listener: string, cause: StoredEvent): EventMeta {
  const correlation = cause.meta.correlationId;
  return {
    actor,
    causationId: cause.id,
    correlationId: typeof correlation === 'string' ? correlation : cause.id,
    reaction: { listener, stream: cause.stream, version: cause.version, position: cause.position },
  };
}

/** The metadata of an event fired while reacting, by another actor than the listener: causation only. */
export function causedMeta(actor: string, cause: StoredEvent): EventMeta {
  const correlation = cause.meta.correlationId;
  return {
    actor,
    causationId: cause.id,
    correlationId: typeof correlation === 'string' ? correlation : cause.id,
  };
}

/**
 * The reaction an event records, if `className` fired it as a reaction; `undefined` for any other
 * event, and for a `meta.reaction` that is not well formed (a stored event is never trusted).
 */
export function reactionCauseOf(event: StoredEvent, className: string): ReactionCause | undefined {
  const meta = event.meta as EventMeta | undefined;
  const reaction = meta?.reaction;
  if (reaction === undefined || meta?.actor !== className) return undefined;
  if (typeof reaction !== 'object' || reaction === null || Array.isArray(reaction)) return undefined;
  const { listener, stream, version, position } = reaction as Record<string, JsonValue | undefined>;
  if (typeof listener !== 'string' || typeof stream !== 'string') return undefined;
  if (!listener.startsWith('to:') && !listener.startsWith('for:')) return undefined;
  if (!Number.isSafeInteger(version) || !Number.isSafeInteger(position)) return undefined;
  return { listener, stream, version: version as number, position: position as number };
}

/** Checkpoints by listener key: the last cause reacted to (see `checkpointOf`). */
export type ReactionCheckpoints = Readonly<Record<string, number>>;

/** The checkpoints once a reaction to `cause` is applied; the same object when they do not move. */
export function advanceCheckpoints(
  checkpoints: ReactionCheckpoints,
  cause: ReactionCause,
): ReactionCheckpoints {
  const reached = checkpointOf(cause);
  if ((checkpoints[cause.listener] ?? 0) >= reached) return checkpoints;
  return { ...checkpoints, [cause.listener]: reached };
}
