/**
 * Reads a page of one stream as a handful of JSON texts instead of one row at a time.
 *
 * Handing a row to JavaScript costs the driver an array and one string per column, and each data
 * and meta text is then parsed on its own: together more than the rest of a long read. Here SQLite
 * joins each column of the page into one JSON array text (`json_group_array`, or `group_concat` for
 * the data and meta texts, which are JSON already), and one `JSON.parse` per column builds every
 * value of the page, data objects included. The meta text is nearly always the same for every row
 * (the firing actor's class): it then comes once, is parsed once, and each event gets a copy.
 *
 * What this may return is exactly what reading the rows one by one returns, or nothing: whenever
 * it cannot vouch for a page, it answers `undefined` and the caller reads that page row by row,
 * which names any damaged row. It vouches for a page when:
 * - the `events` table is STRICT, so SQLite itself guarantees every column's type (a file whose
 *   table is not is always read row by row);
 * - every column array holds one value per row, in version order, with no gap, each of the type
 *   its column must have (SQLite feeds its aggregates the rows in the order the subquery sorts
 *   them, but that is checked here rather than assumed: sorting inside the aggregate costs more);
 * - every data and meta text was one JSON value on its own. Joining texts could otherwise hide a
 *   damaged one, by two damaged texts completing each other (`[1` and `2]`). So texts are joined
 *   with a number chosen at random for each page, `d1,K,d2,K,d3`, and the parse must give exactly
 *   `[d1, K, d2, K, d3]`: a text that ran into its neighbour would swallow a `K`, and stored text,
 *   written before K was drawn, cannot put back the one it swallowed except by guessing K.
 */
import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { EventMeta, StoredEvent } from '../../events/envelope.js';
import { isFlat } from './meta-texts.js';
import { sqliteCode } from './sqlite-errors.js';

/** The highest marker is below 2^30, a small integer to V8: parsing and comparing it allocates nothing. */
const MARKER_LIMIT = 2 ** 30;

type PageRow = [
  count: number,
  positions: string | null,
  ids: string | null,
  versions: string | null,
  names: string | null,
  data: string | null,
  /** The meta text of every row, when they are all the same (they nearly always are). */
  meta: string | null,
  /** Otherwise, the meta texts joined. */
  metas: string | null,
  ats: string | null,
];

export interface StreamPages {
  /**
   * Appends to `events` the events of `stream` from version `next` to `toVersion`, at most
   * `limit` of them, and answers how many; or answers `undefined`, appending nothing, when the
   * page has to be read row by row.
   */
  read(
    stream: string,
    next: number,
    toVersion: number,
    limit: number,
    events: StoredEvent[],
  ): number | undefined;
}

export function streamPages(db: Database.Database): StreamPages {
  let statement: Database.Statement | undefined;
  // Asked once: the migrations only ever create a STRICT table, so an open store's table keeps its kind.
  let strict: boolean | undefined;

  return {
    read(stream, next, toVersion, limit, events) {
      strict ??= isStrictTable(db, 'events');
      if (!strict) return undefined;
      statement ??= db
        .prepare(
          `SELECT count(*), json_group_array(position), json_group_array(id), json_group_array(version),
             json_group_array(name), '[' || group_concat(data, ?) || ']',
             CASE WHEN min(meta) = max(meta) THEN min(meta) END,
             CASE WHEN min(meta) = max(meta) THEN NULL ELSE '[' || group_concat(meta, ?) || ']' END,
             json_group_array(at)
           FROM (SELECT position, id, version, name, data, meta, at FROM events
                 WHERE stream = ? AND version >= ? AND version <= ? ORDER BY version LIMIT ?)`,
        )
        .raw();
      const marker = randomInt(1, MARKER_LIMIT);
      const separator = `,${marker},`;
      let page: PageRow;
      try {
        page = statement.get(separator, separator, stream, next, toVersion, limit) as PageRow;
      } catch (error) {
        // A page too long for one string (its rows, one by one, are not), or a value that a JSON
        // function refuses: reading row by row says what is wrong, or that nothing is.
        const code = sqliteCode(error);
        if (code === 'SQLITE_TOOBIG' || code === 'SQLITE_ERROR') return undefined;
        throw error;
      }
      const count = page[0];
      if (count === 0) return 0;
      const positions = parseArray(page[1]);
      const ids = parseArray(page[2]);
      const versions = parseArray(page[3]);
      const names = parseArray(page[4]);
      const data = parseArray(page[5]);
      const ats = parseArray(page[8]);
      const joined = 2 * count - 1;
      if (
        positions?.length !== count ||
        ids?.length !== count ||
        versions?.length !== count ||
        names?.length !== count ||
        data?.length !== joined ||
        ats?.length !== count
      ) {
        return undefined;
      }
      const metas = page[6] === null ? parseArray(page[7]) : undefined;
      const sharedMeta = page[6] === null ? undefined : sharedMetaFrom(page[6]);
      if (sharedMeta === undefined && metas?.length !== joined) return undefined;
      const start = events.length;
      for (let index = 0; index < count; index++) {
        const position = positions[index];
        const id = ids[index];
        const name = names[index];
        const at = ats[index];
        const meta = sharedMeta === undefined ? (metas as unknown[])[2 * index] : sharedMeta();
        if (
          versions[index] !== next + index ||
          typeof position !== 'number' ||
          !Number.isSafeInteger(position) ||
          typeof id !== 'string' ||
          typeof name !== 'string' ||
          typeof at !== 'string' ||
          !isObject(meta) ||
          (index > 0 &&
            (data[2 * index - 1] !== marker ||
              (sharedMeta === undefined && (metas as unknown[])[2 * index - 1] !== marker)))
        ) {
          events.length = start;
          return undefined;
        }
        events.push({
          id,
          stream,
          name,
          data: data[2 * index],
          version: next + index,
          position,
          at,
          meta,
        });
      }
      return count;
    },
  };
}

function isObject(value: unknown): value is EventMeta {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Makes the meta of every event of a page whose rows all hold the same meta text: one parse, then
 * a new object for each event. Answers `undefined` if the text is not a JSON object.
 */
function sharedMetaFrom(text: string): (() => EventMeta) | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(meta)) return undefined;
  const template = meta;
  // A shallow copy of an object whose values are all primitives is as new as a parse of its text.
  return isFlat(template) ? () => ({ ...template }) : () => JSON.parse(text) as EventMeta;
}

/** The array a joined column holds, or `undefined` if it is not one (the page is read row by row). */
function parseArray(joined: string | null): unknown[] | undefined {
  if (joined === null) return undefined;
  try {
    return JSON.parse(joined) as unknown[];
  } catch {
    // A SyntaxError (a damaged text) or a RangeError (too long for one string).
    return undefined;
  }
}

function isStrictTable(db: Database.Database, table: string): boolean {
  const strict = db
    .prepare(`SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ?`)
    .pluck()
    .get(table);
  return strict === 1;
}
