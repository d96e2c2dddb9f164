/**
 * What a snapshot holds (the engine's `Snapshot.state`): the actor's state through the state codec,
 * and what the core restores with it — how many events had no handler, the reaction checkpoints,
 * the id of the last event covered (a snapshot of another history of the stream is never applied)
 * and what the actor's kind derives from the events besides the state (its marks).
 *
 * Reading is strict: anything but exactly what `encodeSnapshotContent` writes is refused with
 * `UndecodableStateError`, before any of it is applied.
 */
import type { JsonValue } from '../events/envelope.js';
import { decodeState, encodeState, UndecodableStateError } from './state-codec.js';

/** The layout of the content; a snapshot written in another layout is ignored. */
export const SNAPSHOT_FORMAT = 1;

export interface SnapshotContent {
  readonly state: object;
  readonly unhandledEvents: number;
  /** Checkpoints by listener key (see `subscriptions/reaction-cause.ts`). */
  readonly reactions: Readonly<Record<string, number>>;
  /** The id of the event at the snapshot's version. */
  readonly eventId: string;
  /** What the kind derives from the events besides the state; `undefined` when it derives nothing. */
  readonly marks: JsonValue | undefined;
}

/** Encodes the content at once (the state goes on changing); `UsageError` names what cannot be encoded. */
export function encodeSnapshotContent(content: SnapshotContent): JsonValue {
  const encoded: { [key: string]: JsonValue } = {
    format: SNAPSHOT_FORMAT,
    state: encodeState(content.state),
    unhandledEvents: content.unhandledEvents,
    reactions: { ...content.reactions },
    eventId: content.eventId,
  };
  if (content.marks !== undefined) encoded['marks'] = content.marks;
  return encoded;
}

/** Decodes a snapshot's content; throws `UndecodableStateError` if it is not well formed. */
export function decodeSnapshotContent(json: unknown): SnapshotContent {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UndecodableStateError('snapshot', 'is not an object');
  }
  const { format, state, unhandledEvents, reactions, eventId, marks, ...rest } = json as Record<
    string,
    unknown
  >;
  const stray = Object.keys(rest);
  if (stray.length > 0) throw new UndecodableStateError('snapshot', `has unknown fields ${stray.join(', ')}`);
  if (format !== SNAPSHOT_FORMAT) {
    throw new UndecodableStateError(
      'snapshot.format',
      `is ${JSON.stringify(format)}, not ${SNAPSHOT_FORMAT}`,
    );
  }
  // Not bounded by the version: an upcaster may split one stored event into several unhandled ones.
  if (!Number.isSafeInteger(unhandledEvents) || (unhandledEvents as number) < 0) {
    throw new UndecodableStateError('snapshot.unhandledEvents', 'is not a whole number >= 0');
  }
  if (typeof eventId !== 'string' || eventId.length === 0) {
    throw new UndecodableStateError('snapshot.eventId', 'is not an event id');
  }
  const decoded = decodeState(state, 'snapshot.state');
  if (typeof decoded !== 'object' || decoded === null) {
    throw new UndecodableStateError('snapshot.state', 'is not an object');
  }
  return {
    state: decoded,
    unhandledEvents: unhandledEvents as number,
    reactions: decodeReactions(reactions),
    eventId,
    marks: marks as JsonValue | undefined,
  };
}

function decodeReactions(json: unknown): Readonly<Record<string, number>> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UndecodableStateError('snapshot.reactions', 'is not an object');
  }
  const entries = Object.entries(json as Record<string, unknown>);
  for (const [listener, checkpoint] of entries) {
    if (!(listener.startsWith('to:') || listener.startsWith('for:'))) {
      throw new UndecodableStateError(
        'snapshot.reactions',
        `has a key ${JSON.stringify(listener)} that names no listener`,
      );
    }
    if (!Number.isSafeInteger(checkpoint) || (checkpoint as number) < 0) {
      throw new UndecodableStateError(
        `snapshot.reactions[${JSON.stringify(listener)}]`,
        'is not a checkpoint',
      );
    }
  }
  // `fromEntries` defines own properties: no key can reach the prototype.
  return Object.freeze(Object.fromEntries(entries) as Record<string, number>);
}
