/**
 * Events whose data was checked and encoded once, when they were fired.
 *
 * `Fire` freezes the caller's data by encoding it at once: what is stored is what the data was at
 * that moment, whatever the caller does with the object afterwards. The JSON text rides along with
 * the event, so an engine built on the shared append rules writes that text instead of encoding the
 * data a second time. An engine that does not know about it still works: the event's `data` reads
 * as a fresh parse of the same text, never the caller's object.
 *
 * The text is kept in a module-private `WeakMap`, so nothing outside the library can attach a text
 * that was never checked.
 */
import type { EventMeta, NewEvent } from './envelope.js';

const encodedData = new WeakMap<object, string>();

export interface EncodedEventFields {
  readonly id: string;
  readonly name: string;
  /** The JSON text of the data, already checked against the store's rules and limits. */
  readonly dataJson: string;
  readonly meta: EventMeta;
  readonly at: string;
}

/** A `NewEvent` carrying the text its data was encoded to; `data` reads as a parse of that text. */
export function encodedEvent(fields: EncodedEventFields): NewEvent & { readonly id: string } {
  const { dataJson } = fields;
  const event = {
    id: fields.id,
    name: fields.name,
    get data(): unknown {
      return JSON.parse(dataJson) as unknown;
    },
    meta: fields.meta,
    at: fields.at,
  };
  encodedData.set(event, dataJson);
  return event;
}

/** The checked JSON text of an event's data, if it was encoded when fired. */
export function encodedDataOf(event: object): string | undefined {
  return encodedData.get(event);
}
