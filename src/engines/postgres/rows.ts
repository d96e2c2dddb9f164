/**
 * Turns the server's rows, read as text, back into events and snapshots. Every column is checked:
 * a row that cannot be an event (a NULL, a version that is not a whole number, data that is not
 * JSON) stops the read with a `CorruptEventError` naming where it is, instead of handing a guess to
 * the caller. Data and meta are parsed from the text the server kept verbatim, so what a reader
 * gets is what `JSON.parse` makes of what the writer stored, exactly as in every engine.
 */
import { CorruptEventError } from '../../errors.js';
import type { EventMeta, StoredEvent } from '../../events/envelope.js';
import type { TextRow } from './connection.js';

/** A `timestamptz` as the ISO-8601 text `Date.prototype.toISOString` gives for years 1 to 9999. */
export function isoText(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * The columns an event query selects, in the order `eventFromRow` reads them. A query within one
 * stream leaves out the stream column: one string less per row on the hottest read.
 */
export const EVENT_COLUMNS = `position, id, version, name, data, meta, ${isoText('at')}`;
export const EVENT_COLUMNS_WITH_STREAM = `${EVENT_COLUMNS}, stream`;

/** `stream` is the stream read, or, when omitted, read from the row's last column. */
export function eventFromRow(row: TextRow, stream: string | null = row[7] ?? null): StoredEvent {
  const position = wholeNumber(row[0]);
  const id = row[1];
  const version = wholeNumber(row[2]);
  const name = row[3];
  const at = row[6];
  if (
    position === undefined ||
    version === undefined ||
    version < 1 ||
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof at !== 'string' ||
    typeof stream !== 'string'
  ) {
    throw corrupt(row, stream, `the row ${JSON.stringify(row.slice(0, 4))} is not a whole event`);
  }
  const data = parseJson(row[4], (cause) => corrupt(row, stream, 'data is not JSON text', cause));
  const meta = parseJson(row[5], (cause) => corrupt(row, stream, 'meta is not JSON text', cause));
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw corrupt(row, stream, 'meta is not a JSON object');
  }
  return { id, stream, name, data, version, position, at, meta: meta as EventMeta };
}

/** A whole number >= 0 from its decimal text, or `undefined`. */
export function wholeNumber(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function parseJson(text: string | null | undefined, failure: (cause?: unknown) => Error): unknown {
  if (typeof text !== 'string') throw failure();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw failure(error);
  }
}

function corrupt(row: TextRow, stream: string | null, reason: string, cause?: unknown): CorruptEventError {
  const position = wholeNumber(row[0]);
  const version = wholeNumber(row[2]);
  return new CorruptEventError(
    {
      ...(typeof stream === 'string' ? { stream } : {}),
      ...(position === undefined ? {} : { position }),
      ...(version === undefined ? {} : { version }),
    },
    reason,
    cause === undefined ? undefined : { cause },
  );
}
