/**
 * Events whose data and metadata were checked and encoded once, when they were fired.
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

const encodedTexts = new WeakMap<object, { readonly dataJson: string; readonly metaJson: string }>();

export interface EncodedEventFields {
  readonly id: string;
  readonly name: string;
  /** The JSON text of the data, already checked against the store's rules and limits. */
  readonly dataJson: string;
  /** The JSON text of the metadata (a plain object), checked likewise. */
  readonly metaJson: string;
  readonly at: string;
}

/**
 * A `NewEvent` carrying the texts its data and metadata were encoded to; `data` and `meta` read as
 * a fresh parse of those texts each time, so no reader can change what will be stored.
 */
export function encodedEvent(fields: EncodedEventFields): NewEvent & { readonly id: string } {
  const { dataJson, metaJson } = fields;
  const event = {
    id: fields.id,
    name: fields.name,
    get data(): unknown {
      return JSON.parse(dataJson) as unknown;
    },
    get meta(): EventMeta {
      return JSON.parse(metaJson) as EventMeta;
    },
    at: fields.at,
  };
  encodedTexts.set(event, { dataJson, metaJson });
  return event;
}

/** The checked JSON text of an event's data, if it was encoded when fired. */
export function encodedDataOf(event: object): string | undefined {
  return encodedTexts.get(event)?.dataJson;
}

/** The checked JSON text of an event's metadata, if it was encoded when fired. */
export function encodedMetaOf(event: object): string | undefined {
  return encodedTexts.get(event)?.metaJson;
}
