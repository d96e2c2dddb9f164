/**
 * The raw PostgreSQL baseline: the least work that can store and read the same events with `pg`,
 * so that the engine's figures read as "how close to the driver", not as bare numbers.
 *
 * The same columns and the same unique constraints as the engine's events table, one INSERT
 * statement per append (a multi-row VALUES for a batch) in autocommit, named prepared statements,
 * and JSON encoding inside the timed work, as the engine must do it. What the baseline leaves out
 * (checking the expected version, giving versions without gaps to writers that race, validating
 * events, building the stored-event objects an engine returns) is what the ratio charges to the
 * engine.
 */
import type pg from 'pg';
import type { WorkloadEvent } from './workload.js';
import type { RawEvent } from './raw-sqlite.js';

export const RAW_TABLE = 'events';

/**
 * Creates the baseline's table in the schema the pool's connections work in: the engine's events
 * table (the same column types, collations and unique constraints), without what only the engine's
 * features need (its `streams` table, the index by name, the position sequence).
 */
export async function createRawTable(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE ${RAW_TABLE} (
      position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id       text COLLATE "C" NOT NULL UNIQUE,
      stream   text COLLATE "C" NOT NULL,
      version  bigint           NOT NULL,
      name     text COLLATE "C" NOT NULL,
      data     json             NOT NULL,
      meta     json             NOT NULL,
      at       timestamptz      NOT NULL,
      UNIQUE (stream, version)
    )`);
}

const COLUMNS = 7;

/** Every column as the server's text: the driver's parsers (dates above all) cost more than they save. */
const TEXT_COLUMNS = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

/** `INSERT … VALUES ($1, …, $7), ($8, …)` for `rows` rows. */
function insertText(rows: number): string {
  const values: string[] = [];
  for (let row = 0; row < rows; row++) {
    const first = row * COLUMNS;
    values.push(`(${Array.from({ length: COLUMNS }, (_, column) => `$${first + column + 1}`).join(', ')})`);
  }
  return `INSERT INTO ${RAW_TABLE} (id, stream, version, name, data, meta, at) VALUES ${values.join(', ')}`;
}

export class RawPostgresTable {
  readonly #pool: pg.Pool;
  readonly #insertTexts = new Map<number, string>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Stores `events` as versions `fromVersion + 1`, … of `stream`, in one autocommitted INSERT. */
  async append(stream: string, fromVersion: number, events: readonly WorkloadEvent[]): Promise<void> {
    const values: unknown[] = new Array(events.length * COLUMNS);
    let version = fromVersion;
    let at = 0;
    for (const event of events) {
      version++;
      values[at++] = event.id;
      values[at++] = stream;
      values[at++] = version;
      values[at++] = event.name;
      values[at++] = JSON.stringify(event.data);
      values[at++] = JSON.stringify(event.meta);
      values[at++] = event.at;
    }
    await this.#pool.query({
      name: `raw-insert-${events.length}`,
      text: this.#insertText(events.length),
      values,
    });
  }

  /** The INSERT and a `pg_notify` of the new position on `channel`, in one autocommitted statement. */
  async appendAndNotify(
    stream: string,
    version: number,
    event: WorkloadEvent,
    channel: string,
  ): Promise<void> {
    await this.#pool.query({
      name: 'raw-insert-notify',
      text: `WITH inserted AS (
               INSERT INTO ${RAW_TABLE} (id, stream, version, name, data, meta, at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING position, stream, version
             )
             SELECT pg_notify($8, stream || ':' || version || ':' || position) FROM inserted`,
      values: [
        event.id,
        stream,
        version,
        event.name,
        JSON.stringify(event.data),
        JSON.stringify(event.meta),
        event.at,
        channel,
      ],
    });
  }

  /**
   * Up to `limit` events of `stream` from `fromVersion` on, decoded. Read the least costly way:
   * rows as arrays of text (no driver parsing but `JSON.parse` of data and meta), `at` formatted
   * as ISO-8601 by the server, and no `stream` column, which the caller already knows.
   */
  async readPage(stream: string, fromVersion: number, limit: number): Promise<RawEvent[]> {
    const result = await this.#pool.query<(string | null)[]>({
      name: 'raw-read-page',
      text: `SELECT position, id, version, name, data, meta,
                    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
               FROM ${RAW_TABLE}
              WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`,
      values: [stream, fromVersion, limit],
      rowMode: 'array',
      types: TEXT_COLUMNS,
    });
    const rows = result.rows;
    const events: RawEvent[] = new Array(rows.length);
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index]!;
      events[index] = {
        position: Number(row[0]),
        id: row[1]!,
        stream,
        version: Number(row[2]),
        name: row[3]!,
        data: JSON.parse(row[4]!),
        meta: JSON.parse(row[5]!),
        at: row[6]!,
      };
    }
    return events;
  }

  #insertText(rows: number): string {
    let text = this.#insertTexts.get(rows);
    if (text === undefined) {
      text = insertText(rows);
      this.#insertTexts.set(rows, text);
    }
    return text;
  }
}
