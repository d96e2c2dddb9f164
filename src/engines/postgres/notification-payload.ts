/**
 * The NOTIFY payloads of appended events: written by the appending process, completed and sent by
 * the append function, read by every subscriber. One payload carries a run of consecutive events
 * of one append:
 *
 *     {"p": <position of the first>, "v": <version of the first>, "s": <stream>, "e": [<item>, …]}
 *
 * where the item at index k has position p + k and version v + k, and is either a whole event
 * `{"i": id, "n": name, "t": at, "d": data, "m": meta}` or, for an event too large to travel in a
 * notification, an announcement `{"n": name}` that a subscriber completes by reading the store.
 *
 * The appending process writes everything after `"v": …,` (the body: it knows the stream and the
 * events, and measures the bytes), splitting an append into several bodies when needed; the
 * function adds the position and version it assigned and notifies only for appends it stored. So
 * the server does no JSON work, and data travels as the exact text stored. The server refuses
 * payloads of 8000 bytes or more: every payload stays under `MAX_PAYLOAD_BYTES`, a margin below.
 */
import type { EventMeta, StoredEvent } from '../../events/envelope.js';
import type { PreparedEvent } from '../append-rules.js';
import type { EventNotification } from '../engine.js';

/** The largest payload sent, in bytes (the server's limit is 7999). */
export const MAX_PAYLOAD_BYTES = 7500;
/** Room for `{"p":<position>,"v":<version>,` and `}` around a body: two 19-digit numbers and keys. */
const HEADER_BYTES = 64;
const MAX_BODY_BYTES = MAX_PAYLOAD_BYTES - HEADER_BYTES;

/** A body of one payload: the events of `events[offset…]` of one append. */
export interface PayloadBody {
  /** The index in its append of the first event it carries. */
  readonly offset: number;
  readonly text: string;
}

/** The bodies that notify the events of one append, in order. */
export function payloadBodies(stream: string, events: readonly PreparedEvent[]): PayloadBody[] {
  const head = `"s":${JSON.stringify(stream)},"e":[`;
  const headBytes = utf8Bytes(head) + 1;
  const bodies: PayloadBody[] = [];
  let items: string[] = [];
  let bytes = headBytes;
  let offset = 0;
  events.forEach((event, index) => {
    const item = itemOf(event, MAX_BODY_BYTES - headBytes);
    const itemBytes = utf8Bytes(item) + 1;
    if (items.length > 0 && bytes + itemBytes > MAX_BODY_BYTES) {
      bodies.push({ offset, text: `${head}${items.join(',')}]` });
      items = [];
      bytes = headBytes;
      offset = index;
    }
    items.push(item);
    bytes += itemBytes;
  });
  if (items.length > 0) bodies.push({ offset, text: `${head}${items.join(',')}]` });
  return bodies;
}

/**
 * The whole event when it fits in `room` bytes, else its announcement. Names and times need no
 * escaping: a name is made of `[A-Za-z0-9_.:-]`, a time is ISO-8601.
 */
function itemOf(event: PreparedEvent, room: number): string {
  const announcement = `{"n":"${event.name}"}`;
  // A UTF-16 unit is at least one UTF-8 byte: data longer than the room in units cannot fit.
  if (event.dataJson.length + event.metaJson.length > room) return announcement;
  const whole =
    `{"i":${JSON.stringify(event.id)},"n":"${event.name}","t":"${event.at}",` +
    `"d":${event.dataJson},"m":${event.metaJson}}`;
  return utf8Bytes(whole) <= room ? whole : announcement;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

interface Message {
  p: number;
  v: number;
  s: string;
  e: Item[];
}

interface Item {
  i?: string;
  n: string;
  t?: string;
  d?: unknown;
  m?: EventMeta;
}

/**
 * The notifications of one payload, in position order; `undefined` when the payload is not one the
 * append function sent (someone else notified on the channel), so that the caller can fall back
 * to reading the store.
 */
export function parsePayload(payload: string | undefined): EventNotification[] | undefined {
  if (payload === undefined) return undefined;
  let message: Message;
  try {
    message = JSON.parse(payload) as Message;
  } catch {
    return undefined;
  }
  if (
    typeof message !== 'object' ||
    message === null ||
    !Number.isSafeInteger(message.p) ||
    !Number.isSafeInteger(message.v) ||
    typeof message.s !== 'string' ||
    !Array.isArray(message.e)
  ) {
    return undefined;
  }
  const { s: stream } = message;
  const notifications: EventNotification[] = [];
  for (let index = 0; index < message.e.length; index++) {
    const item = message.e[index];
    if (typeof item !== 'object' || item === null || typeof item.n !== 'string') return undefined;
    const position = message.p + index;
    const version = message.v + index;
    const notification = { stream, version, position, name: item.n };
    if (
      typeof item.i === 'string' &&
      typeof item.t === 'string' &&
      typeof item.m === 'object' &&
      item.m !== null &&
      'd' in item
    ) {
      const event: StoredEvent = {
        id: item.i,
        stream,
        name: item.n,
        data: item.d,
        version,
        position,
        at: item.t,
        meta: item.m,
      };
      notifications.push({ ...notification, event });
    } else {
      notifications.push(notification);
    }
  }
  return notifications;
}
