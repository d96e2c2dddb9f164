/**
 * Reading events and streams, one prepared statement per kind of read, every stream id, name and
 * bound as a parameter.
 *
 * Guarantees:
 * - `readAll` is one statement, so one snapshot; because positions commit in increasing order
 *   (see `append-function.ts`), a reader that pages with `after` never skips an event.
 * - `readStream` reads in pages, which need no shared snapshot: a stored version never changes,
 *   so each page continues the same history. A gap in versions is reported as corruption.
 * - A stream id, prefix or name that no event can have (one holding NUL, which PostgreSQL text
 *   cannot hold, or a lone UTF-16 surrogate, which would reach the server as U+FFFD and match
 *   another stream) is answered without asking the server: it has no events.
 */
import { CorruptEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import { isWellFormedText } from '../../events/names.js';
import type { StreamInfo } from '../engine.js';
import {
  prefixUpperBound,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type VersionRange,
} from '../options.js';
import type { Database, TextRow } from './connection.js';
import type { SchemaNames } from './identifiers.js';
import { EVENT_COLUMNS, EVENT_COLUMNS_WITH_STREAM, eventFromRow, wholeNumber } from './rows.js';
import { checkNextVersion } from '../dense-versions.js';
import { decodeLeniently, type FollowedRow } from '../position-follower.js';

/** How many events one `readStream` query returns at most. */
const READ_PAGE_SIZE = 10_000;

export interface PostgresReads {
  readStream(stream: string, range: VersionRange): Promise<StoredEvent[]>;
  readAll(options: ResolvedReadAll): Promise<StoredEvent[]>;
  /** For subscriptions: a row that cannot be read is given as its `CorruptEventError`, in its place. */
  readFollowing(after: number, limit: number): Promise<FollowedRow[]>;
  streamVersion(stream: string): Promise<number>;
  listStreams(options: ResolvedListStreams): Promise<StreamInfo[]>;
  /** The position of the last stored event, 0 when there is none. */
  lastPosition(): Promise<number>;
}

/** True for text the server stores as it is; anything else can be no stream id, name or key. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && isWellFormedText(text);
}

export function postgresReads(db: Database, names: SchemaNames): PostgresReads {
  const q = names.quoted;
  const prefix = names.statementPrefix;
  const statements = {
    readStream: {
      name: `${prefix}.read-stream`,
      text: `SELECT ${EVENT_COLUMNS} FROM ${q}.events
              WHERE stream = $1 AND version >= $2 AND version <= $3 ORDER BY version LIMIT $4`,
    },
    readAll: {
      name: `${prefix}.read-all`,
      text: `SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM ${q}.events WHERE position > $1 ORDER BY position LIMIT $2`,
    },
    readAllByName: {
      name: `${prefix}.read-all-by-name`,
      text: `SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM ${q}.events
              WHERE name = $3 AND position > $1 ORDER BY position LIMIT $2`,
    },
    // Each name walks its own index range, and the runs are merged: a rare name costs no scan of
    // every event after the cursor.
    readAllByNames: {
      name: `${prefix}.read-all-by-names`,
      text: `SELECT found.* FROM unnest($3::text[]) AS wanted(name)
              CROSS JOIN LATERAL (
                SELECT ${EVENT_COLUMNS_WITH_STREAM} FROM ${q}.events AS e
                 WHERE e.name = wanted.name AND e.position > $1 ORDER BY e.position LIMIT $2
              ) AS found
              ORDER BY found.position LIMIT $2`,
    },
    streamVersion: {
      name: `${prefix}.stream-version`,
      text: `SELECT version FROM ${q}.streams WHERE stream = $1`,
    },
    lastPosition: {
      name: `${prefix}.last-position`,
      text: `SELECT coalesce(max(position), 0) FROM ${q}.events`,
    },
    // A row at version 0 is a stream fenced before its first event: it has no events to list.
    listStreams: {
      name: `${prefix}.list-streams`,
      text: `SELECT stream, version FROM ${q}.streams
              WHERE stream > $1 AND stream >= $2 AND version > 0 ORDER BY stream LIMIT $3`,
    },
    listStreamsBelow: {
      name: `${prefix}.list-streams-below`,
      text: `SELECT stream, version FROM ${q}.streams
              WHERE stream > $1 AND stream >= $2 AND stream < $4 AND version > 0 ORDER BY stream LIMIT $3`,
    },
  };

  async function readRange(stream: string, range: VersionRange): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    let next = range.fromVersion;
    while (events.length < range.limit && next <= range.toVersion) {
      const pageSize = Math.min(READ_PAGE_SIZE, range.limit - events.length);
      const rows = await db.query(
        { ...statements.readStream, values: [stream, next, range.toVersion, pageSize] },
        'read from',
      );
      for (const row of rows) {
        const event = eventFromRow(row, stream);
        checkNextVersion(stream, next, event.version);
        events.push(event);
        next++;
      }
      if (rows.length < pageSize) break;
    }
    return events;
  }

  return {
    async readStream(stream, range) {
      if (range.limit === 0 || range.toVersion < range.fromVersion || !isStorableText(stream)) return [];
      return readRange(stream, range);
    },

    async readAll({ after, limit, names: wanted }) {
      const storable = wanted?.filter(isStorableText);
      if (limit === 0 || storable?.length === 0) return [];
      let rows: TextRow[];
      if (storable === undefined) {
        rows = await db.query({ ...statements.readAll, values: [after, limit] }, 'read from');
      } else if (storable.length === 1) {
        rows = await db.query(
          { ...statements.readAllByName, values: [after, limit, storable[0]] },
          'read from',
        );
      } else {
        rows = await db.query(
          { ...statements.readAllByNames, values: [after, limit, storable] },
          'read from',
        );
      }
      return rows.map((row) => eventFromRow(row));
    },

    async readFollowing(after, limit) {
      const rows = await db.query({ ...statements.readAll, values: [after, limit] }, 'read from');
      return decodeLeniently(rows, (row) => eventFromRow(row));
    },

    async streamVersion(stream) {
      if (!isStorableText(stream)) return 0;
      const [row] = await db.query({ ...statements.streamVersion, values: [stream] }, 'read from');
      if (row === undefined) return 0;
      const version = wholeNumber(row[0]);
      if (version === undefined) {
        throw new CorruptEventError(
          { stream },
          `the stream's version is ${String(row[0])}, not a whole number`,
        );
      }
      return version;
    },

    async listStreams({ after, limit, prefix: idPrefix }) {
      if (limit === 0 || !isStorableText(idPrefix)) return [];
      // No stream holds NUL, so every id above `after` is above the part of it before its first NUL.
      const from = after === undefined ? '' : (after.split('\u0000')[0] ?? '');
      const upperBound = idPrefix === '' ? undefined : prefixUpperBound(idPrefix);
      const rows = await db.query(
        upperBound === undefined
          ? { ...statements.listStreams, values: [from, idPrefix, limit] }
          : { ...statements.listStreamsBelow, values: [from, idPrefix, limit, upperBound] },
        'read from',
      );
      return rows.map(([stream, text]): StreamInfo => {
        const version = wholeNumber(text);
        if (typeof stream !== 'string' || version === undefined) {
          throw new CorruptEventError(
            typeof stream === 'string' ? { stream } : {},
            `the streams table holds ${JSON.stringify([stream, text])}, not a stream id and a version`,
          );
        }
        return { stream, version };
      });
    },

    async lastPosition() {
      const [row] = await db.query(statements.lastPosition, 'read from');
      return wholeNumber(row?.[0]) ?? 0;
    },
  };
}
