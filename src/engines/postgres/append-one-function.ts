/**
 * The lean server-side append: a PL/pgSQL function for a group of exactly one append, the common
 * case of a process with one writer. It judges and stores the append exactly as `append_events`
 * (`append-function.ts`) would judge and store a group holding it alone, with the same guarantees
 * and in the same order of checks: a retry of a stored batch is answered with its first version; a
 * lower fencing term than the stream's is refused; then the expected version; then any id already
 * stored; an accepted append raises the stream's term, even with no events. Its NOTIFY payloads are
 * the same text, and it takes the same locks in the same order (the stream's lock, then the
 * position lock L, held until the transaction ends), so a lean call and a group call of another
 * process exclude each other as two group calls do, and the reasoning about the global order given
 * in `append-function.ts` holds unchanged.
 *
 * Why a second function: a group call works through parallel arrays (a dozen filled per call, the
 * data taken out of a JSON array, the answer built as JSON), and runs five statements. With one
 * append there is nothing to index: the stream's lock is one expression, the state one statement,
 * and a one-event append draws its position, writes the stream row and the event and notifies in a
 * single statement. Its answer is one row, `(status, value, first position, duplicate id)`.
 */
import {
  APPEND_FUNCTION_SETTINGS,
  AppendStatus,
  MALFORMED_GROUP_STATE,
  POSITION_LOCK_HELD_STATE,
  WRONG_ISOLATION_STATE,
} from './append-function.js';
import { quoteLiteral, type SchemaNames } from './identifiers.js';

export function appendOneFunctionName(names: SchemaNames): string {
  return `${names.quoted}.append_one`;
}

/** The statement that calls the function with one append (see `encodeOne` in `append-batch.ts`). */
export function appendOneCallText(names: SchemaNames): string {
  return (
    `SELECT status, answer, first_position, duplicate FROM ${appendOneFunctionName(names)}(` +
    `$1::text, $2::bigint, $3::bigint, $4::text[], $5::text[], $6::json, $7::json, $8::text[], ` +
    `$9::integer[], $10::text[], $11::boolean)`
  );
}

/**
 * The function's text. Its statements are point lookups and inserts by unique key; their plans are
 * made generic once per connection, as the group function's are, so that no call pays for planning,
 * and made of index lookups only: a plan chosen while the tables were small and analyzed (a
 * sequential scan of `events` to check an id, say) must not be kept as they grow.
 */
export function appendOneFunctionSql(names: SchemaNames): string {
  const q = names.quoted;
  const sequence = `${quoteLiteral(`${q}.positions`)}::regclass`;
  const channel = quoteLiteral(names.channel);
  return `
CREATE OR REPLACE FUNCTION ${appendOneFunctionName(names)}(
  p_stream text,
  p_expected bigint,        -- NULL for any, -1 for an existing stream, else the exact version
  p_term bigint,            -- its fencing term, or NULL
  p_ids text[],             -- per event:
  p_names text[],
  p_data json,              --   as one JSON array, whose elements keep the text written
  p_meta json,
  p_at text[],              --   ISO-8601
  p_note_offsets integer[], -- per notification: the index of its first event,
  p_note_bodies text[],     --   and its payload after the position and version
  p_signal boolean,         -- whether to say when L is held (a notice costs a write to the socket)
  OUT status smallint,      -- an AppendStatus
  OUT answer bigint,        -- the value that goes with it (see AppendStatus)
  OUT first_position bigint,
  OUT duplicate text
)
${APPEND_FUNCTION_SETTINGS}
AS $function$
DECLARE
  v_count integer := coalesce(cardinality(p_ids), 0);
  v_version bigint;
  v_term bigint;
  v_found integer;
  v_found_stream text;
  v_found_version bigint;
  v_matching bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'omniscient appends need the READ COMMITTED isolation level, not %',
      current_setting('transaction_isolation') USING ERRCODE = '${WRONG_ISOLATION_STATE}';
  END IF;
  IF p_stream IS NULL OR coalesce(cardinality(p_names), 0) <> v_count OR coalesce(cardinality(p_at), 0) <> v_count
     OR coalesce(json_array_length(p_data), 0) <> v_count OR coalesce(json_array_length(p_meta), 0) <> v_count
     OR coalesce(cardinality(p_note_offsets), 0) <> coalesce(cardinality(p_note_bodies), 0) THEN
    RAISE EXCEPTION 'malformed append: the arrays do not match' USING ERRCODE = '${MALFORMED_GROUP_STATE}';
  END IF;

  -- The stream's writers queue here (the same key as the group function's).
  PERFORM pg_advisory_xact_lock(${names.streamLockSpace}, hashtext(p_stream));

  -- A new statement, so a new snapshot: it sees what the previous holders of the lock committed.
  SELECT coalesce(st.version, 0), coalesce(st.fencing_term, 0),
         CASE WHEN v_count = 1
              THEN (SELECT 1 FROM ${q}.events AS e WHERE e.id = p_ids[1])
              ELSE (SELECT min(b.ord)::integer FROM unnest(p_ids) WITH ORDINALITY AS b(id, ord)
                     WHERE EXISTS (SELECT FROM ${q}.events AS e WHERE e.id = b.id)) END
    INTO v_version, v_term, v_found
    FROM (SELECT) AS one LEFT JOIN ${q}.streams AS st ON st.stream = p_stream;

  IF v_found = 1 THEN
    -- Its first id is stored: a retry if the same ids, names and data are a run of that stream.
    SELECT e.stream, e.version INTO v_found_stream, v_found_version FROM ${q}.events AS e WHERE e.id = p_ids[1];
    v_matching := -1;
    IF v_found_stream = p_stream THEN
      SELECT count(*) INTO v_matching
        FROM unnest(p_ids, p_names,
                    (SELECT array_agg(d.value ORDER BY d.k) FROM json_array_elements(p_data) WITH ORDINALITY AS d(value, k)))
               WITH ORDINALITY AS b(id, name, data, k)
        JOIN ${q}.events AS e ON e.stream = v_found_stream AND e.version = v_found_version + b.k - 1
       WHERE e.id = b.id AND e.name = b.name AND e.data::text = b.data::text;
    END IF;
    IF v_matching = v_count THEN
      status := ${AppendStatus.retried};
      answer := v_found_version;
    ELSE
      status := ${AppendStatus.duplicate};
      duplicate := p_ids[1];
    END IF;
    RETURN;
  END IF;
  IF p_term IS NOT NULL AND p_term < v_term THEN
    status := ${AppendStatus.fenced};
    answer := v_term;
    RETURN;
  END IF;
  IF (p_expected = -1 AND v_version = 0) OR (p_expected >= 0 AND v_version <> p_expected) THEN
    status := ${AppendStatus.conflict};
    answer := v_version;
    RETURN;
  END IF;
  IF v_found IS NOT NULL THEN
    status := ${AppendStatus.duplicate};
    duplicate := p_ids[v_found];
    RETURN;
  END IF;

  status := ${AppendStatus.stored};
  answer := v_version + v_count;
  IF v_count = 0 THEN
    IF p_term IS NOT NULL AND p_term > v_term THEN
      -- No events, but the term is kept (without L, which only positions need). A new row has
      -- version 0, which no list shows.
      INSERT INTO ${q}.streams AS st (stream, version, fencing_term) VALUES (p_stream, v_version, p_term)
      ON CONFLICT (stream) DO UPDATE SET fencing_term = excluded.fencing_term;
    END IF;
    RETURN;
  END IF;

  IF v_count = 1 THEN
    -- The data and meta are taken out with json_array_elements, which keeps the text as written
    -- (the -> operator would decode the strings, and refuse a \\u0000 that json keeps).
    -- One statement: L (taken in FROM, before the position is drawn in the select list), the
    -- position, the event, the stream's row (a data-modifying CTE runs even unreferenced) and
    -- its notification. The stream's row is this transaction's alone: its lock is held.
    WITH drawn AS MATERIALIZED (
      SELECT nextval(${sequence}) AS position FROM pg_advisory_xact_lock(${names.positionLockKey}::bigint)
    ), stream_written AS (
      INSERT INTO ${q}.streams AS st (stream, version, fencing_term)
      VALUES (p_stream, v_version + 1, coalesce(p_term, v_term))
      ON CONFLICT (stream) DO UPDATE SET version = excluded.version, fencing_term = excluded.fencing_term
    ), event_written AS (
      INSERT INTO ${q}.events (position, id, stream, version, name, data, meta, at)
      SELECT drawn.position, p_ids[1], p_stream, v_version + 1, p_names[1], d.value, m.value,
             p_at[1]::timestamptz
        FROM drawn, json_array_elements(p_data) AS d(value), json_array_elements(p_meta) AS m(value)
      RETURNING position
    )
    SELECT w.position INTO first_position
      FROM event_written AS w
     CROSS JOIN LATERAL (
       SELECT pg_notify(${channel}, '{"p":' || w.position || ',"v":' || (v_version + 1) || ',' || n.body || '}')
         FROM unnest(p_note_bodies) AS n(body)
     ) AS notified;
    -- Sent at once (the server flushes a notice): the process may send its next group now.
    IF p_signal THEN
      RAISE NOTICE 'omniscient: positions drawn' USING ERRCODE = '${POSITION_LOCK_HELD_STATE}';
    END IF;
    RETURN;
  END IF;

  -- L: from here to the end of the transaction, no other append of this schema draws positions.
  SELECT setval(${sequence}, nextval(${sequence}) + v_count - 1) - v_count + 1
    INTO first_position
    FROM pg_advisory_xact_lock(${names.positionLockKey}::bigint);
  IF p_signal THEN
    RAISE NOTICE 'omniscient: positions drawn' USING ERRCODE = '${POSITION_LOCK_HELD_STATE}';
  END IF;

  WITH stream_written AS (
    INSERT INTO ${q}.streams AS st (stream, version, fencing_term)
    VALUES (p_stream, v_version + v_count, coalesce(p_term, v_term))
    ON CONFLICT (stream) DO UPDATE SET version = excluded.version, fencing_term = excluded.fencing_term
  ), events_written AS (
    INSERT INTO ${q}.events (position, id, stream, version, name, data, meta, at)
    SELECT first_position + b.k - 1, b.id, p_stream, v_version + b.k, b.name, b.data, b.meta, b.at::timestamptz
      FROM unnest(p_ids, p_names, p_at,
                  (SELECT array_agg(d.value ORDER BY d.k) FROM json_array_elements(p_data) WITH ORDINALITY AS d(value, k)),
                  (SELECT array_agg(m.value ORDER BY m.k) FROM json_array_elements(p_meta) WITH ORDINALITY AS m(value, k)))
             WITH ORDINALITY AS b(id, name, at, data, meta, k)
  )
  -- In the order given: a subscriber drops what is at or below the last position it delivered.
  SELECT count(pg_notify(${channel}, '{"p":' || (first_position + n.first) || ',"v":' || (v_version + 1 + n.first)
                                     || ',' || n.body || '}'))
    INTO v_matching
    FROM unnest(p_note_offsets, p_note_bodies) AS n(first, body);
END;
$function$;
`;
}
