/**
 * The PostgreSQL lease tables and functions (schema migrations 2 and 3), keeping the rules of
 * `lease-rules.ts` on the server so that each call is one statement and one transaction:
 *
 * - `acquire_lease(name, holder, ttl_ms)` locks the lease's row, then the rows of the asking holder
 *   and of the current holder in holder order (one order for every caller: two acquirers never
 *   wait on each other in a cycle), and only then reads the server's clock (`clock_timestamp()`),
 *   so that it judges the current holder's expiry against a time later than any renewal that
 *   committed before it, and a renewal waiting on the row judges against a time later than it.
 * - `take_over_lease(name, holder, ttl_ms, term)` (migration 3) locks and judges as `acquire_lease`
 *   does, and also grants a lease another holder holds while its term is still `term`: with the
 *   lease's row locked, of two takeovers naming one term the second finds the first one's term.
 * - `renew_leases(holder, ttl_ms)` does the same for one holder row: one statement per process per
 *   period, whatever the number of leases it holds.
 *
 * A holder's tenure lives once in `lease_holders` (with an incarnation: see `lease-rules.ts`);
 * a lease is held while its row names a holder row of the same incarnation that has not expired.
 * Lease rows are kept for ever: a lease's term must never go back, since streams remember terms.
 */
import type { SchemaNames } from './identifiers.js';
import { isoText } from './rows.js';

/** Milliseconds from `from` to `to`, rounded up, as a bigint. */
function millisecondsBetween(from: string, to: string): string {
  return `ceil(extract(epoch FROM (${to} - ${from})) * 1000)::bigint`;
}

export function leaseMigrationSql(names: SchemaNames): string {
  const q = names.quoted;
  return `
CREATE TABLE ${q}.lease_holders (
  holder text COLLATE "C" PRIMARY KEY,
  incarnation bigint NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE ${q}.leases (
  name text COLLATE "C" PRIMARY KEY,
  holder text COLLATE "C",
  incarnation bigint NOT NULL,
  term bigint NOT NULL
);

-- Finds whether a lapsed holder still holds any lease, so its row can be forgotten.
CREATE INDEX leases_by_holder ON ${q}.leases (holder);

${acquireFunctionSql(q)}

${renewFunctionSql(q)}
`;
}

function acquireFunctionSql(q: string): string {
  return `
CREATE FUNCTION ${q}.acquire_lease(lease_name text, asker text, ttl_ms bigint)
RETURNS TABLE (lease_granted boolean, lease_holder text, lease_term bigint,
               lease_expires_at text, lease_expires_in_ms bigint)
LANGUAGE plpgsql AS $acquire$
DECLARE
  found_lease ${q}.leases%ROWTYPE;
  live_expiry timestamptz;
  at_now timestamptz;
  expiry timestamptz;
  my_incarnation bigint;
  next_term bigint;
BEGIN
  INSERT INTO ${q}.leases (name, holder, incarnation, term) VALUES (lease_name, NULL, 0, 0)
    ON CONFLICT (name) DO NOTHING;
  SELECT l.* INTO found_lease FROM ${q}.leases AS l WHERE l.name = lease_name FOR UPDATE;
  PERFORM FROM ${q}.lease_holders AS h
    WHERE h.holder IN (asker, found_lease.holder) ORDER BY h.holder FOR UPDATE;
  at_now := clock_timestamp();
  SELECT h.expires_at INTO live_expiry FROM ${q}.lease_holders AS h
    WHERE h.holder = found_lease.holder AND h.incarnation = found_lease.incarnation
      AND h.expires_at > at_now;
  IF live_expiry IS NOT NULL AND found_lease.holder <> asker THEN
    RETURN QUERY SELECT false, found_lease.holder, found_lease.term,
      ${isoText('live_expiry')}, ${millisecondsBetween('at_now', 'live_expiry')};
    RETURN;
  END IF;
  expiry := at_now + ttl_ms * interval '1 millisecond';
  -- A holder whose tenure lapsed starts a new incarnation: its leases of the old one stay lost.
  INSERT INTO ${q}.lease_holders AS h (holder, incarnation, expires_at) VALUES (asker, 1, expiry)
    ON CONFLICT (holder) DO UPDATE SET
      incarnation = CASE WHEN h.expires_at > at_now THEN h.incarnation ELSE h.incarnation + 1 END,
      expires_at = excluded.expires_at
    RETURNING h.incarnation INTO my_incarnation;
  IF live_expiry IS NOT NULL THEN
    -- The same holder in the same unbroken tenure keeps its term.
    next_term := found_lease.term;
  ELSE
    next_term := found_lease.term + 1;
    UPDATE ${q}.leases AS l SET holder = asker, incarnation = my_incarnation, term = next_term
      WHERE l.name = lease_name;
    -- The previous holder's row, already locked above, once it lapsed and no lease names it.
    DELETE FROM ${q}.lease_holders AS h
      WHERE h.holder = found_lease.holder AND h.holder <> asker AND h.expires_at <= at_now
        AND NOT EXISTS (SELECT FROM ${q}.leases AS l WHERE l.holder = h.holder);
  END IF;
  RETURN QUERY SELECT true, asker, next_term, ${isoText('expiry')}, ${millisecondsBetween('at_now', 'expiry')};
END
$acquire$;`;
}

/**
 * Migration 3. The function repeats `acquire_lease` rather than sharing its text: migration 2 must
 * stay as it shipped, whatever becomes of this one.
 */
export function takeOverMigrationSql(names: SchemaNames): string {
  const q = names.quoted;
  return `
CREATE FUNCTION ${q}.take_over_lease(lease_name text, asker text, ttl_ms bigint, seen_term bigint)
RETURNS TABLE (lease_granted boolean, lease_holder text, lease_term bigint,
               lease_expires_at text, lease_expires_in_ms bigint)
LANGUAGE plpgsql AS $take_over$
DECLARE
  found_lease ${q}.leases%ROWTYPE;
  live_expiry timestamptz;
  at_now timestamptz;
  expiry timestamptz;
  my_incarnation bigint;
  next_term bigint;
BEGIN
  INSERT INTO ${q}.leases (name, holder, incarnation, term) VALUES (lease_name, NULL, 0, 0)
    ON CONFLICT (name) DO NOTHING;
  SELECT l.* INTO found_lease FROM ${q}.leases AS l WHERE l.name = lease_name FOR UPDATE;
  PERFORM FROM ${q}.lease_holders AS h
    WHERE h.holder IN (asker, found_lease.holder) ORDER BY h.holder FOR UPDATE;
  at_now := clock_timestamp();
  SELECT h.expires_at INTO live_expiry FROM ${q}.lease_holders AS h
    WHERE h.holder = found_lease.holder AND h.incarnation = found_lease.incarnation
      AND h.expires_at > at_now;
  -- Another holder's live tenure is taken only if it is the one the caller saw.
  IF live_expiry IS NOT NULL AND found_lease.holder <> asker AND found_lease.term <> seen_term THEN
    RETURN QUERY SELECT false, found_lease.holder, found_lease.term,
      ${isoText('live_expiry')}, ${millisecondsBetween('at_now', 'live_expiry')};
    RETURN;
  END IF;
  expiry := at_now + ttl_ms * interval '1 millisecond';
  -- A holder whose tenure lapsed starts a new incarnation: its leases of the old one stay lost.
  INSERT INTO ${q}.lease_holders AS h (holder, incarnation, expires_at) VALUES (asker, 1, expiry)
    ON CONFLICT (holder) DO UPDATE SET
      incarnation = CASE WHEN h.expires_at > at_now THEN h.incarnation ELSE h.incarnation + 1 END,
      expires_at = excluded.expires_at
    RETURNING h.incarnation INTO my_incarnation;
  IF live_expiry IS NOT NULL AND found_lease.holder = asker THEN
    -- The same holder in the same unbroken tenure keeps its term.
    next_term := found_lease.term;
  ELSE
    -- A new tenure; a holder taken over from keeps its own row, and its other leases.
    next_term := found_lease.term + 1;
    UPDATE ${q}.leases AS l SET holder = asker, incarnation = my_incarnation, term = next_term
      WHERE l.name = lease_name;
    -- The previous holder's row, already locked above, once it lapsed and no lease names it.
    DELETE FROM ${q}.lease_holders AS h
      WHERE h.holder = found_lease.holder AND h.holder <> asker AND h.expires_at <= at_now
        AND NOT EXISTS (SELECT FROM ${q}.leases AS l WHERE l.holder = h.holder);
  END IF;
  RETURN QUERY SELECT true, asker, next_term, ${isoText('expiry')}, ${millisecondsBetween('at_now', 'expiry')};
END
$take_over$;
`;
}

function renewFunctionSql(q: string): string {
  return `
CREATE FUNCTION ${q}.renew_leases(asker text, ttl_ms bigint)
RETURNS TABLE (lease_expires_at text, lease_expires_in_ms bigint)
LANGUAGE plpgsql AS $renew$
DECLARE
  found_expiry timestamptz;
  at_now timestamptz;
  expiry timestamptz;
BEGIN
  SELECT h.expires_at INTO found_expiry FROM ${q}.lease_holders AS h WHERE h.holder = asker FOR UPDATE;
  at_now := clock_timestamp();
  IF found_expiry IS NULL OR found_expiry <= at_now THEN
    RETURN;
  END IF;
  expiry := at_now + ttl_ms * interval '1 millisecond';
  UPDATE ${q}.lease_holders AS h SET expires_at = expiry WHERE h.holder = asker;
  RETURN QUERY SELECT ${isoText('expiry')}, ${millisecondsBetween('at_now', 'expiry')};
END
$renew$;`;
}

/** The statements the engine sends, each one round trip. */
export function leaseStatementTexts(names: SchemaNames) {
  const q = names.quoted;
  return {
    acquire: `SELECT * FROM ${q}.acquire_lease($1, $2, $3::bigint)`,
    takeOver: `SELECT * FROM ${q}.take_over_lease($1, $2, $3::bigint, $4::bigint)`,
    renew: `SELECT * FROM ${q}.renew_leases($1, $2::bigint)`,
    // The lease row's lock makes a takeover that committed first win: the holder no longer matches.
    release: `UPDATE ${q}.leases AS l SET holder = NULL
                FROM ${q}.lease_holders AS h
               WHERE l.name = $1 AND l.holder = $2 AND h.holder = l.holder
                 AND h.incarnation = l.incarnation AND h.expires_at > clock_timestamp()
              RETURNING l.term`,
    releaseHolder: `UPDATE ${q}.lease_holders SET expires_at = '-infinity' WHERE holder = $1`,
    read: `SELECT l.term, h.holder, ${isoText('h.expires_at')}, ${millisecondsBetween('c.at_now', 'h.expires_at')}
             FROM (SELECT clock_timestamp() AS at_now) AS c
             CROSS JOIN ${q}.leases AS l
             LEFT JOIN ${q}.lease_holders AS h
               ON h.holder = l.holder AND h.incarnation = l.incarnation AND h.expires_at > c.at_now
            WHERE l.name = $1`,
  };
}
