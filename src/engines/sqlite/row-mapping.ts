/**
 * Turns stored rows back into events. Rows are read raw (as arrays, one fixed column order) to
 * keep the per-row cost of long reads low, and every column is checked: a row that cannot be an
 * event (a NULL, a version that is not a whole number, data or meta that is not JSON) stops the
 * read with a `CorruptEventError` naming where it is, instead of handing a guess to the caller.
 */
import { CorruptEventError } from '../../errors.js';
import type { EventMeta, StoredEvent } from '../../events/envelope.js';

/**
 * The columns an event query selects, in the order `eventFromRow` reads them. A query within one
 * stream leaves out the stream column: one string less per row on the hottest read.
 */
export const EVENT_COLUMNS = 'position, id, version, name, data, meta, at';
export const EVENT_COLUMNS_WITH_STREAM = `${EVENT_COLUMNS}, stream`;

/** `stream` is the stream read, or, when omitted, read from the row's last column. */
export function eventFromRow(row: readonly unknown[], stream: unknown = row[7]): StoredEvent {
  const position = row[0];
  const id = row[1];
  const version = row[2];
  const name = row[3];
  const at = row[6];
  if (
    typeof position !== 'number' ||
    typeof stream !== 'string' ||
    typeof version !== 'number' ||
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof at !== 'string' ||
    !Number.isSafeInteger(position) ||
    !Number.isSafeInteger(version) ||
    version < 1
  ) {
    throw corrupt(row, stream, describeBadColumns(row, stream));
  }
  return {
    id,
    stream,
    name,
    data: parseColumn(row, stream, 4, 'data'),
    version,
    position,
    at,
    meta: parseMeta(row, stream),
  };
}

function parseColumn(row: readonly unknown[], stream: unknown, index: number, column: string): unknown {
  const text = row[index];
  if (typeof text !== 'string') {
    throw corrupt(row, stream, `${column} is ${describeValue(text)}, not JSON text`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw corrupt(row, stream, `${column} is not valid JSON`, error);
  }
}

function parseMeta(row: readonly unknown[], stream: unknown): EventMeta {
  const meta = parseColumn(row, stream, 5, 'meta');
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw corrupt(
      row,
      stream,
      `meta is ${Array.isArray(meta) ? 'an array' : describeValue(meta)}, not an object`,
    );
  }
  return meta as EventMeta;
}

const COLUMNS = EVENT_COLUMNS_WITH_STREAM.split(', ');
const TEXT_COLUMNS = new Set(['id', 'stream', 'name', 'at']);

function describeBadColumns(row: readonly unknown[], stream: unknown): string {
  const problems: string[] = [];
  COLUMNS.forEach((column, index) => {
    const value = column === 'stream' ? stream : row[index];
    if (TEXT_COLUMNS.has(column) && typeof value !== 'string') {
      problems.push(`${column} is ${describeValue(value)}, not text`);
    } else if (
      (column === 'position' || column === 'version') &&
      !(Number.isSafeInteger(value) && (value as number) >= 1)
    ) {
      problems.push(`${column} is ${describeValue(value)}, not a whole number >= 1`);
    }
  });
  return problems.join('; ');
}

function corrupt(
  row: readonly unknown[],
  stream: unknown,
  reason: string,
  cause?: unknown,
): CorruptEventError {
  const [position, , version] = row;
  return new CorruptEventError(
    {
      ...(typeof stream === 'string' ? { stream } : {}),
      ...(typeof position === 'number' ? { position } : {}),
      ...(typeof version === 'number' ? { version } : {}),
    },
    reason,
    cause === undefined ? undefined : { cause },
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `a blob of ${value.byteLength} bytes`;
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
