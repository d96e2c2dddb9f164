/**
 * The SQLite engine's reads. `readAll` sees one snapshot (WAL) even when it takes several queries;
 * `readStream` reads in pages, which need no shared snapshot because a stored version never
 * changes. Every row is checked (`row-mapping.ts`), and a gap in a stream's versions is reported
 * as corruption rather than handed on.
 */
import type Database from 'better-sqlite3';
import { CorruptEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import { checkNextVersion } from '../dense-versions.js';
import type { StreamInfo } from '../engine.js';
import {
  prefixUpperBound,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type VersionRange,
} from '../options.js';
import { decodeLeniently, type FollowedRow } from '../position-follower.js';
import { currentVersion } from './sqlite-appends.js';
import { eventFromRow } from './row-mapping.js';
import type { Statements } from './statements.js';
import { streamPages } from './stream-pages.js';

/** How many rows `readStream` fetches per query. */
const READ_PAGE_SIZE = 1024;
/** The fewest rows worth a page of joined texts, and the size of a read's first page. */
const JOINED_PAGE_MIN = 256;

type Row = unknown[];

export interface SqliteReads {
  readStream(stream: string, range: VersionRange): StoredEvent[];
  readAll(options: ResolvedReadAll): StoredEvent[];
  /** For subscriptions: a row that cannot be read is given as its `CorruptEventError`, in its place. */
  readFollowing(after: number, limit: number): FollowedRow[];
  lastPosition(): number;
  streamVersion(stream: string): number;
  listStreams(options: ResolvedListStreams): StreamInfo[];
}

export function sqliteReads(db: Database.Database, statements: Statements): SqliteReads {
  const readStream = streamReader(db, statements);
  // Several queries must see one snapshot, or a commit between them could be half seen.
  const readAllByNames = db.transaction((names: readonly string[], after: number, limit: number): Row[] => {
    const rows = names.flatMap((name) => statements.readAllByName.all(name, after, limit) as Row[]);
    return rows.sort((left, right) => (left[0] as number) - (right[0] as number)).slice(0, limit);
  });
  return {
    readStream,
    readAll({ after, limit, names }) {
      let rows: Row[];
      if (names === undefined) rows = statements.readAll.all(after, limit) as Row[];
      else if (names.length === 1) rows = statements.readAllByName.all(names[0], after, limit) as Row[];
      else rows = readAllByNames(names, after, limit);
      return rows.map((row) => eventFromRow(row));
    },
    readFollowing: (after, limit) =>
      decodeLeniently(statements.readAll.all(after, limit) as Row[], (row) => eventFromRow(row)),
    lastPosition: () => statements.lastPosition.get() as number,
    streamVersion: (stream) => currentVersion(statements, stream),
    listStreams: (options) => listStreams(statements, options),
  };
}

/**
 * Reads in pages so that each page's raw rows die young instead of all of them outliving the
 * mapping, which keeps the garbage collector's share of a long read small. Pages need no shared
 * snapshot: stored versions never change, so each page continues the same history.
 *
 * A page of joined texts (`streamPages`) costs less per row but has a fixed cost of several
 * microseconds, and most reads are short (an actor catching up on a few events): so a read's
 * first rows, and any page shorter than `JOINED_PAGE_MIN`, are read row by row, and only the
 * pages of a read that has proved long are joined. A joined page that `streamPages` cannot vouch
 * for is read row by row too, which then names the damaged row if there is one.
 */
function streamReader(db: Database.Database, statements: Statements): SqliteReads['readStream'] {
  const pages = streamPages(db);
  function readRows(
    stream: string,
    fromVersion: number,
    toVersion: number,
    limit: number,
    events: StoredEvent[],
  ) {
    const rows = statements.readStream.all(stream, fromVersion, toVersion, limit) as Row[];
    let next = fromVersion;
    for (const row of rows) {
      const event = eventFromRow(row, stream);
      checkNextVersion(stream, next, event.version);
      events.push(event);
      next++;
    }
    return rows.length;
  }
  return (stream, { fromVersion, toVersion, limit }) => {
    const events: StoredEvent[] = [];
    let next = fromVersion;
    while (events.length < limit) {
      const first = events.length === 0;
      const pageSize = Math.min(first ? JOINED_PAGE_MIN : READ_PAGE_SIZE, limit - events.length);
      const joined = !first && pageSize >= JOINED_PAGE_MIN;
      const read =
        (joined ? pages.read(stream, next, toVersion, pageSize, events) : undefined) ??
        readRows(stream, next, toVersion, pageSize, events);
      next += read;
      if (read < pageSize) break;
    }
    return events;
  };
}

function listStreams(statements: Statements, { after, limit, prefix }: ResolvedListStreams): StreamInfo[] {
  const upperBound = prefix === '' ? undefined : prefixUpperBound(prefix);
  const rows = (
    upperBound === undefined
      ? statements.listStreams.all(after ?? '', prefix, limit)
      : statements.listStreamsBelow.all(after ?? '', prefix, upperBound, limit)
  ) as Row[];
  return rows.map(([stream, version]): StreamInfo => {
    if (typeof stream !== 'string' || typeof version !== 'number' || !Number.isSafeInteger(version)) {
      throw new CorruptEventError(
        typeof stream === 'string' ? { stream } : {},
        `the streams table holds ${JSON.stringify([stream, version])}, not a stream id and a version`,
      );
    }
    return { stream, version };
  });
}
