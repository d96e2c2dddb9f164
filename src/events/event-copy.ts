/**
 * A stored event's own copy, for a second reader of the same event object.
 *
 * A handler may keep part of an event's data in its state and change it later (`items =
 * data.items`, then `items.push(…)`): the event object it was given is then no longer what was
 * stored. That is harmless for the one reader that owns the object, and wrong for any other that
 * reads it afterwards — a rebuild that applies it again, another actor of the same stream in the
 * process, a listener. Wherever one stored event object would reach a second reader, it gets a copy.
 */
import type { StoredEvent } from './envelope.js';

export function copyOfEvent<Event extends StoredEvent>(event: Event): Event {
  return { ...event, data: structuredClone(event.data), meta: structuredClone(event.meta) };
}
