/**
 * The server-side append: one PL/pgSQL function that stores a whole group of appends (any
 * streams, several for one stream, in arrival order) in the caller's single transaction, so that
 * a group costs one round trip and one commit however many callers it serves.
 *
 * Each append is judged on its own, in order, against the state the appends before it in the group
 * left (a stream's version and fencing term), exactly as if it had been made alone: a retry of a
 * stored batch (its first id stored, as a run of the same ids, names and data in the same stream)
 * is answered with the stored events; a lower fencing term than the stream's is refused; then the
 * expected version; then any id already stored. The function never raises for one append's
 * refusal: it returns a status per append, so one caller's conflict does not fail the others.
 * An accepted append with a fencing term raises the stream's term to it, even with no events: a
 * stream fenced before its first event has a row at version 0, which `listStreams` leaves out.
 *
 * GLOBAL ORDER. Positions come from a sequence, and a sequence hands out numbers at once but its
 * users commit whenever they finish: without more, a reader following `position > p` could read
 * position 12 while position 11 is still uncommitted, move on, and never see 11. The function
 * prevents it with one transaction-scoped advisory lock L per schema, taken after every check,
 * just before the first position is drawn, and held until the transaction ends:
 *
 * 1. Every position is drawn by a transaction holding L (the sequence has CACHE 1 and is used by
 *    nothing else), so positions drawn by T1 are all below those drawn by T2 when T1 held L first.
 * 2. PostgreSQL releases a transaction's locks only after its commit is visible to new snapshots
 *    (in `CommitTransaction`, the commit record is written and `ProcArrayEndTransaction` runs
 *    before the locks are released). So when T2 takes L, T1 is already visible, or has rolled
 *    back and left only unused numbers; and T1's commit record precedes T2's in the WAL, so a
 *    streaming replica makes them visible in the same order.
 * 3. Hence a snapshot that sees an event of T2 was taken after T2 committed, so after T1 was
 *    visible: it sees every event with a lower position. A reader that has seen position p will
 *    never find a position below p appear later: `readAll({ after })` skips nothing.
 * 4. NOTIFY payloads enter the server's queue at commit, under L as well, so notifications are
 *    delivered in position order.
 * 5. Right after taking L, the function raises a NOTICE (`POSITION_LOCK_HELD_STATE`), which the
 *    server sends at once: from then on, any transaction that draws positions draws them above
 *    this one's, so the process may send its next group, which makes its checks while this one
 *    commits and then waits for L (`group-commit.ts`). The notice says nothing about the outcome:
 *    the transaction may still roll back, leaving unused numbers as in 2.
 *
 * The cost is that appends to the whole store commit one transaction at a time; grouping the
 * appends of each process into one transaction is what keeps that from limiting throughput.
 * Taking L last keeps out of it everything that may wait (the stream locks) or may be refused.
 * (Filtering readers by `pg_snapshot_xmin` instead avoids L but makes every reader wait for the
 * oldest transaction of the whole database, and orders events by transaction rather than by
 * position, so it would not give positions that a reader can follow.)
 *
 * NO DEADLOCK. Before anything else, the function takes a transaction advisory lock per stream of
 * the group (two int4 keys: the schema's and the stream id's hash), in ascending key order, and
 * takes L only after all of them: every transaction waits for locks in one global order (stream
 * keys ascending, then L), so no cycle of waits can form. A stream lock also works for a stream
 * that has no row yet. Hash collisions only make two streams share a queue.
 *
 * A group of one append goes to a leaner function with the same checks, locks and notifications
 * (`append-one-function.ts`); the two exclude each other through the same locks.
 *
 * The function assumes READ COMMITTED (each statement sees what committed before it, in
 * particular what the previous holder of a stream lock wrote) and one call per transaction; it
 * refuses other isolation levels.
 */
import { quoteLiteral, type SchemaNames } from './identifiers.js';

/** What the function answers for each append: its status, and the value that goes with it. */
export const AppendStatus = {
  /** Stored (or nothing to store): the version after it, and the place of its first event. */
  stored: 0,
  /** The expected version did not hold: the stream's actual version. */
  conflict: 1,
  /** A lower fencing term than the stream's: the stream's term. */
  fenced: 2,
  /** An id already stored, not as a retry: the id. */
  duplicate: 3,
  /** A retry of a stored batch: the version of its first event. */
  retried: 4,
} as const;

/** SQLSTATEs the function raises for misuse (never for an append's refusal). */
export const WRONG_ISOLATION_STATE = 'OM001';
export const MALFORMED_GROUP_STATE = 'OM002';
/**
 * The SQLSTATE of the NOTICE the functions send once their transaction holds L: every position
 * drawn after it is above theirs, so the process may send its next group (see `group-commit.ts`).
 */
export const POSITION_LOCK_HELD_STATE = 'OM100';

export function appendFunctionName(names: SchemaNames): string {
  return `${names.quoted}.append_events`;
}

/** The statement that calls the function with one group of appends (see `append-batch.ts`). */
export function appendCallText(names: SchemaNames): string {
  return (
    `SELECT ${appendFunctionName(names)}($1::text[], $2::integer[], $3::integer[], $4::bigint[], ` +
    `$5::bigint[], $6::text[], $7::text[], $8::json, $9::json, $10::text[], $11::integer[], ` +
    `$12::integer[], $13::text[])`
  );
}

/**
 * How both append functions run (this one and the lean `append_one`): their statements' plans made
 * generic once per connection and of index lookups only, so that a plan made while the tables were
 * small is never kept as they grow; and their notice of the position lock sent to the client. One
 * text for both, so the two cannot drift apart.
 */
export const APPEND_FUNCTION_SETTINGS = `LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET client_min_messages = notice`;

/**
 * The function's text. Its statements are few on purpose: each one costs an executor start, and
 * a group runs five (the stream locks, the state, L and the positions, the writes, the
 * notifications), and one more only when an append of no events raises a stream's term;
 * everything between them is PL/pgSQL on local arrays. Its plans are generic, made once per
 * connection rather than at every call (as the plan cache would otherwise do for statements over
 * array parameters), and made of index lookups only: a plan chosen while the tables were small (a
 * hash join over every event, say) must not be kept as the tables grow.
 */
export function appendFunctionSql(names: SchemaNames): string {
  const q = names.quoted;
  const sequence = `${quoteLiteral(`${q}.positions`)}::regclass`;
  return `
CREATE OR REPLACE FUNCTION ${appendFunctionName(names)}(
  p_streams text[],         -- the distinct streams of the group
  p_slots integer[],        -- per append: its stream, as an index into p_streams
  p_counts integer[],       -- per append: how many events it has
  p_expected bigint[],      -- per append: NULL for any, -1 for an existing stream, else the exact version
  p_terms bigint[],         -- per append: its fencing term, or NULL
  p_ids text[],             -- per event (the appends' events one after the other):
  p_names text[],
  p_data json,              --   as one JSON array, whose elements keep the text written
  p_meta json,              --   (a JSON array needs no escaping, unlike an array literal)
  p_at text[],              --   ISO-8601
  p_note_appends integer[], -- per notification: its append,
  p_note_offsets integer[], --   the index in that append of its first event,
  p_note_bodies text[]      --   and its payload after the position and version
) RETURNS text
${APPEND_FUNCTION_SETTINGS}
AS $function$
DECLARE
  v_appends integer := coalesce(cardinality(p_slots), 0);
  v_events integer := coalesce(cardinality(p_ids), 0);
  v_stream_count integer := coalesce(cardinality(p_streams), 0);
  -- Per event: its data and meta, taken out of the JSON arrays.
  v_data json[];
  v_meta json[];
  -- Per stream of the group: its version and term as the appends so far left them.
  v_versions bigint[];
  v_terms bigint[];
  v_touched boolean[];
  -- Per stream of the group: its term was raised by an append of no events.
  v_fenced boolean[];
  -- The indexes of the events whose id is already stored, ascending (NULL when none is).
  v_found integer[];
  -- Per event, once accepted: its version, stream and place in the group (its position - first).
  v_event_versions bigint[];
  v_event_streams text[];
  v_event_places integer[];
  -- Per append: the answer, and where its events went.
  v_statuses smallint[];
  v_answers bigint[];
  v_duplicates text[];
  v_places integer[];
  v_first_versions bigint[];
  v_accepted integer := 0;
  v_first_position bigint;
  v_first integer := 1;
  v_slot integer;
  v_count integer;
  v_current bigint;
  v_expected bigint;
  v_term bigint;
  v_found_stream text;
  v_found_version bigint;
  v_matching bigint;
  v_duplicate text;
  v_index integer;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'omniscient appends need the READ COMMITTED isolation level, not %',
      current_setting('transaction_isolation') USING ERRCODE = '${WRONG_ISOLATION_STATE}';
  END IF;
  IF coalesce(cardinality(p_counts), 0) <> v_appends OR coalesce(cardinality(p_expected), 0) <> v_appends
     OR coalesce(cardinality(p_terms), 0) <> v_appends OR coalesce(cardinality(p_names), 0) <> v_events
     OR coalesce(cardinality(p_at), 0) <> v_events
     OR coalesce(cardinality(p_note_offsets), 0) <> coalesce(cardinality(p_note_appends), 0)
     OR coalesce(cardinality(p_note_bodies), 0) <> coalesce(cardinality(p_note_appends), 0) THEN
    RAISE EXCEPTION 'malformed append group: the arrays do not match' USING ERRCODE = '${MALFORMED_GROUP_STATE}';
  END IF;
  IF v_appends = 0 THEN
    RETURN '[[],[],[],[],null]';
  END IF;

  -- The writers of one stream queue here, every transaction in ascending key order (see above).
  PERFORM pg_advisory_xact_lock(${names.streamLockSpace}, keys.key)
     FROM (SELECT DISTINCT hashtext(s.stream) AS key FROM unnest(p_streams) AS s(stream) ORDER BY 1) AS keys;

  -- A new statement, so a new snapshot: it sees what the previous holders of these locks committed.
  SELECT array_agg(coalesce(st.version, 0) ORDER BY s.slot),
         array_agg(coalesce(st.fencing_term, 0) ORDER BY s.slot),
         (SELECT array_agg(b.ord::integer ORDER BY b.ord)
            FROM unnest(p_ids) WITH ORDINALITY AS b(id, ord)
           WHERE EXISTS (SELECT FROM ${q}.events AS e WHERE e.id = b.id)),
         (SELECT array_agg(d.value ORDER BY d.ord) FROM json_array_elements(p_data) WITH ORDINALITY AS d(value, ord)),
         (SELECT array_agg(m.value ORDER BY m.ord) FROM json_array_elements(p_meta) WITH ORDINALITY AS m(value, ord))
    INTO v_versions, v_terms, v_found, v_data, v_meta
    FROM unnest(p_streams) WITH ORDINALITY AS s(stream, slot)
    LEFT JOIN ${q}.streams AS st ON st.stream = s.stream;
  IF coalesce(cardinality(v_data), 0) <> v_events OR coalesce(cardinality(v_meta), 0) <> v_events THEN
    RAISE EXCEPTION 'malformed append group: the data do not match the events' USING ERRCODE = '${MALFORMED_GROUP_STATE}';
  END IF;

  -- Filled to their full length: assigning past the end of an empty array would shift its bounds.
  v_touched := array_fill(false, ARRAY[v_stream_count]);
  v_fenced := array_fill(false, ARRAY[v_stream_count]);
  v_statuses := array_fill(NULL::smallint, ARRAY[v_appends]);
  v_answers := array_fill(NULL::bigint, ARRAY[v_appends]);
  v_duplicates := array_fill(NULL::text, ARRAY[v_appends]);
  v_places := array_fill(NULL::integer, ARRAY[v_appends]);
  v_first_versions := array_fill(NULL::bigint, ARRAY[v_appends]);
  v_event_versions := array_fill(NULL::bigint, ARRAY[v_events]);
  v_event_streams := array_fill(NULL::text, ARRAY[v_events]);
  v_event_places := array_fill(NULL::integer, ARRAY[v_events]);

  FOR v_append IN 1..v_appends LOOP
    v_slot := p_slots[v_append];
    v_count := p_counts[v_append];
    v_expected := p_expected[v_append];
    v_term := p_terms[v_append];
    IF v_slot IS NULL OR v_slot < 1 OR v_slot > v_stream_count OR v_count IS NULL OR v_count < 0
       OR v_first + v_count - 1 > v_events THEN
      RAISE EXCEPTION 'malformed append group at append %', v_append USING ERRCODE = '${MALFORMED_GROUP_STATE}';
    END IF;
    v_current := v_versions[v_slot];

    IF v_count > 0 AND v_first = ANY(v_found) THEN
      -- Its first id is stored: a retry if the same ids, names and data are a run of that stream.
      SELECT e.stream, e.version INTO v_found_stream, v_found_version
        FROM ${q}.events AS e WHERE e.id = p_ids[v_first];
      v_matching := -1;
      IF v_found_stream = p_streams[v_slot] THEN
        SELECT count(*) INTO v_matching
          FROM unnest(p_ids[v_first:v_first + v_count - 1], p_names[v_first:v_first + v_count - 1],
                      v_data[v_first:v_first + v_count - 1]) WITH ORDINALITY AS b(id, name, data, k)
          JOIN ${q}.events AS e ON e.stream = v_found_stream AND e.version = v_found_version + b.k - 1
         WHERE e.id = b.id AND e.name = b.name AND e.data::text = b.data::text;
      END IF;
      IF v_matching = v_count THEN
        v_statuses[v_append] := ${AppendStatus.retried};
        v_answers[v_append] := v_found_version;
      ELSE
        v_statuses[v_append] := ${AppendStatus.duplicate};
        v_duplicates[v_append] := p_ids[v_first];
      END IF;
    ELSIF v_term IS NOT NULL AND v_term < v_terms[v_slot] THEN
      v_statuses[v_append] := ${AppendStatus.fenced};
      v_answers[v_append] := v_terms[v_slot];
    ELSIF (v_expected = -1 AND v_current = 0) OR (v_expected >= 0 AND v_current <> v_expected) THEN
      v_statuses[v_append] := ${AppendStatus.conflict};
      v_answers[v_append] := v_current;
    ELSE
      v_duplicate := NULL;
      IF v_found IS NOT NULL THEN
        FOREACH v_index IN ARRAY v_found LOOP
          IF v_index >= v_first AND v_index < v_first + v_count THEN
            v_duplicate := p_ids[v_index];
            EXIT;
          END IF;
        END LOOP;
      END IF;
      IF v_duplicate IS NOT NULL THEN
        v_statuses[v_append] := ${AppendStatus.duplicate};
        v_duplicates[v_append] := v_duplicate;
      ELSE
        IF v_count > 0 THEN
          FOR v_index IN v_first..v_first + v_count - 1 LOOP
            v_event_versions[v_index] := v_current + (v_index - v_first) + 1;
            v_event_streams[v_index] := p_streams[v_slot];
            v_event_places[v_index] := v_accepted + (v_index - v_first);
          END LOOP;
          v_versions[v_slot] := v_current + v_count;
          IF v_term IS NOT NULL THEN
            v_terms[v_slot] := v_term;
          END IF;
          v_touched[v_slot] := true;
          v_places[v_append] := v_accepted;
          v_first_versions[v_append] := v_current + 1;
          v_accepted := v_accepted + v_count;
        ELSIF v_term IS NOT NULL AND v_term > v_terms[v_slot] THEN
          -- No events, but the term is kept: a new leader fences a stream before reading it.
          v_terms[v_slot] := v_term;
          v_fenced[v_slot] := true;
        END IF;
        v_statuses[v_append] := ${AppendStatus.stored};
        v_answers[v_append] := v_versions[v_slot];
      END IF;
    END IF;
    v_first := v_first + v_count;
  END LOOP;
  IF v_first <> v_events + 1 THEN
    RAISE EXCEPTION 'malformed append group: % events for % counted', v_events, v_first - 1
      USING ERRCODE = '${MALFORMED_GROUP_STATE}';
  END IF;

  -- The streams fenced by appends of no events alone, written without L, which only positions
  -- need. A new row has version 0, which no list shows. A stream written below gets its term there.
  IF true = ANY(v_fenced) THEN
    INSERT INTO ${q}.streams AS st (stream, version, fencing_term)
    SELECT s.stream, s.version, s.term
      FROM unnest(p_streams, v_versions, v_terms, v_fenced, v_touched) AS s(stream, version, term, fenced, touched)
     WHERE s.fenced AND NOT s.touched
    ON CONFLICT (stream) DO UPDATE SET fencing_term = excluded.fencing_term;
  END IF;

  IF v_accepted > 0 THEN
    -- L: from here to the end of the transaction, no other append of this schema draws positions.
    SELECT CASE WHEN v_accepted = 1 THEN nextval(${sequence})
                ELSE setval(${sequence}, nextval(${sequence}) + v_accepted - 1) - v_accepted + 1 END
      INTO v_first_position
      FROM pg_advisory_xact_lock(${names.positionLockKey}::bigint);
    -- Sent at once (the server flushes a notice): the process may send its next group now.
    RAISE NOTICE 'omniscient: positions drawn' USING ERRCODE = '${POSITION_LOCK_HELD_STATE}';

    -- The streams' rows are this transaction's alone until it ends: their locks are held.
    WITH streams_written AS (
      INSERT INTO ${q}.streams AS st (stream, version, fencing_term)
      SELECT s.stream, s.version, s.term
        FROM unnest(p_streams, v_versions, v_terms, v_touched) AS s(stream, version, term, touched)
       WHERE s.touched
      ON CONFLICT (stream) DO UPDATE SET version = excluded.version, fencing_term = excluded.fencing_term
    )
    INSERT INTO ${q}.events (position, id, stream, version, name, data, meta, at)
    SELECT v_first_position + e.place, e.id, e.stream, e.version, e.name, e.data, e.meta, e.at::timestamptz
      FROM unnest(p_ids, p_names, v_data, v_meta, p_at, v_event_versions, v_event_streams, v_event_places)
             AS e(id, name, data, meta, at, version, stream, place)
     WHERE e.version IS NOT NULL;

    -- In the order given: a subscriber drops what is at or below the last position it delivered.
    PERFORM pg_notify(${quoteLiteral(names.channel)},
                      '{"p":' || (v_first_position + v_places[n.app] + n.first) ||
                      ',"v":' || (v_first_versions[n.app] + n.first) || ',' || n.body || '}')
       FROM unnest(p_note_appends, p_note_offsets, p_note_bodies) AS n(app, first, body)
      WHERE v_places[n.app] IS NOT NULL;
  END IF;

  RETURN '[' || array_to_json(v_statuses) || ',' || array_to_json(v_answers) || ','
         || array_to_json(v_duplicates) || ',' || array_to_json(v_places) || ','
         || coalesce(v_first_position::text, 'null') || ']';
END;
$function$;
`;
}
