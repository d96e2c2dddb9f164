/**
 * Pipelining in the PostgreSQL engine: once the group in flight holds the position lock (its
 * function says so with a notice), the next group is sent and checked while the first commits.
 * Positions and answers still follow the order in which the appends were made, and no stream ever
 * has two appends in flight.
 *
 * The scheduling rules are specified on `GroupCommit` itself, with a `send` the test answers by
 * hand, so that every interleaving is chosen, not hoped for; the overlap itself on a real server.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreparedEvent } from '../../src/engines/append-rules.js';
import { GroupCommit, type PendingAppend, type RawAnswer } from '../../src/engines/postgres/group-commit.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

interface Sent {
  readonly streams: string[];
  readonly holdsPositionLock: () => void;
  readonly answer: (answers: readonly RawAnswer[]) => void;
  readonly fail: (error: Error) => void;
}

/** A group commit whose calls wait for the test to answer them. */
function scriptedGroupCommit(): { commit: GroupCommit; sent: Sent[] } {
  const sent: Sent[] = [];
  const commit = new GroupCommit({
    send: (group, holdsPositionLock) =>
      new Promise((resolve, reject) => {
        sent.push({
          streams: group.map((append) => append.stream),
          holdsPositionLock,
          answer: resolve,
          fail: reject,
        });
      }),
    currentVersion: () => Promise.resolve(0),
  });
  return { commit, sent };
}

let nextId = 0;
function pending(stream: string): PendingAppend {
  const event: PreparedEvent = {
    id: `id-${nextId++}`,
    name: 'happened',
    dataJson: '{}',
    metaJson: '{}',
    at: new Date(0).toISOString(),
  };
  return { stream, events: [event], expected: 'any', fencingTerm: undefined };
}

/** Stored, at `version` and `position`. */
function stored(version: number, position: number): RawAnswer {
  return [0, version, position, null];
}

/** Lets the event loop turn, so that a due flush runs and settled answers are delivered. */
async function turns(): Promise<void> {
  for (let index = 0; index < 3; index++) await new Promise((resolve) => setImmediate(resolve));
}

/** Records the order in which the appends' callers hear their answers. */
function track(order: string[], label: string, answer: Promise<unknown>): Promise<unknown> {
  return answer.then(
    () => order.push(`${label} stored`),
    () => order.push(`${label} refused`),
  );
}

describe('pipelined group commit', () => {
  it('sends the next group only once the group in flight holds the position lock', async () => {
    const { commit, sent } = scriptedGroupCommit();
    const order: string[] = [];
    const first = track(order, 'a', commit.append(pending('a')));
    await turns();
    expect(sent.map((group) => group.streams)).toEqual([['a']]);
    const second = track(order, 'b', commit.append(pending('b')));
    await turns();
    // Without L, the first group's positions are not drawn yet: the second would race it for L.
    expect(sent).toHaveLength(1);
    sent[0]?.holdsPositionLock();
    await turns();
    expect(sent.map((group) => group.streams)).toEqual([['a'], ['b']]);
    // The second answers first: its caller still hears after the first one's.
    sent[1]?.answer([stored(1, 2)]);
    await turns();
    expect(order).toEqual([]);
    sent[0]?.answer([stored(1, 1)]);
    await Promise.all([first, second]);
    expect(order).toEqual(['a stored', 'b stored']);
    await commit.idle();
  });

  it('never has two appends of one stream in flight, and keeps what follows them in order', async () => {
    const { commit, sent } = scriptedGroupCommit();
    const order: string[] = [];
    const answers = [track(order, 'a1', commit.append(pending('a')))];
    await turns();
    sent[0]?.holdsPositionLock();
    // 'a' is in flight: neither its next append nor the one made after it may go.
    answers.push(
      track(order, 'a2', commit.append(pending('a'))),
      track(order, 'b', commit.append(pending('b'))),
    );
    await turns();
    expect(sent).toHaveLength(1);
    sent[0]?.answer([stored(1, 1)]);
    await turns();
    expect(sent.map((group) => group.streams)).toEqual([['a'], ['a', 'b']]);
    sent[1]?.answer([stored(2, 2), stored(1, 3)]);
    await Promise.all(answers);
    expect(order).toEqual(['a1 stored', 'a2 stored', 'b stored']);
  });

  it('answers the group after a failed one, in order, and loses nothing', async () => {
    const { commit, sent } = scriptedGroupCommit();
    const order: string[] = [];
    const failing = commit.append(pending('a'));
    const first = track(order, 'a', failing);
    await turns();
    sent[0]?.holdsPositionLock();
    const second = track(order, 'b', commit.append(pending('b')));
    await turns();
    expect(sent).toHaveLength(2);
    // The first group rolls back after the second was sent: the second commits, and is answered.
    sent[1]?.answer([stored(1, 1)]);
    await turns();
    sent[0]?.fail(new StoreUnavailableError('the server went away'));
    await Promise.all([first, second]);
    expect(order).toEqual(['a refused', 'b stored']);
    await expect(failing).rejects.toBeInstanceOf(StoreUnavailableError);
    // And the stream of the failed group can be appended to again.
    const again = commit.append(pending('a'));
    await turns();
    expect(sent.map((group) => group.streams)).toEqual([['a'], ['b'], ['a']]);
    sent[2]?.answer([stored(1, 2)]);
    await expect(again).resolves.toMatchObject({ kind: 'stored', version: 1, firstPosition: 2 });
    await commit.idle();
  });
});

const opened: PostgresEventStore[] = [];
const clients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => client.end()));
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

/** Resolves once a session waits for the advisory lock `key` (a bigint key, as text). */
async function waitForLockWaiter(admin: pg.Client, key: string): Promise<void> {
  const value = BigInt.asUintN(64, BigInt(key));
  for (;;) {
    const { rows } = await admin.query<{ waiting: string }>(
      `SELECT count(*) AS waiting FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND objsubid = 1 AND NOT granted`,
      [String(value >> 32n), String(value & 0xffffffffn)],
    );
    if (Number(rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithPostgres('pipelined appends on PostgreSQL', () => {
  it('checks the next group while the previous one commits, and gives it the later positions', async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(store);
    await store.ready();
    const admin = await connect();
    const gate = await connect();
    const gateKey = String(BigInt(schemaNames(schema).positionLockKey) ^ 1n);
    // The commit of an event of 'slow' waits for the gate, while its transaction holds L.
    await admin.query(`
      CREATE FUNCTION "${schema}".wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${gateKey}::bigint); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER wait_for_gate AFTER INSERT ON "${schema}".events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stream = 'slow')
        EXECUTE FUNCTION "${schema}".wait_for_gate();`);
    await gate.query('SELECT pg_advisory_lock($1::bigint)', [gateKey]);
    const order: string[] = [];
    // Two appends at once, so a group of two: a lone append with nothing else waiting or in flight
    // does not say when it holds L (nothing could go early).
    const slow = Promise.all([
      store.appendToStream('slow', [{ name: 'first' }]),
      store.appendToStream('slow', [{ name: 'first_too' }]),
    ]).then(([first]) => first);
    void slow.then(() => order.push('slow'));
    await waitForLockWaiter(admin, gateKey);
    // The first group commits (and holds L) until the gate opens: the next is sent meanwhile and
    // waits for L, its checks made. Without pipelining it would not be sent until 'slow' answers.
    const fast = store.appendToStream('fast', [{ name: 'second' }]);
    void fast.then(() => order.push('fast'));
    await waitForLockWaiter(admin, schemaNames(schema).positionLockKey);
    await gate.query('SELECT pg_advisory_unlock($1::bigint)', [gateKey]);
    const [slowResult, fastResult] = await Promise.all([slow, fast]);
    expect(order).toEqual(['slow', 'fast']);
    expect(slowResult.events[0]?.position).toBe(1);
    expect(fastResult.events[0]?.position).toBe(3);
    expect((await store.readAll()).map((event) => [event.stream, event.position])).toEqual([
      ['slow', 1],
      ['slow', 2],
      ['fast', 3],
    ]);
  });

  it('stores the next group when the one before it fails after taking the position lock', async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema, connectionRetryMs: 0 });
    opened.push(store);
    await store.ready();
    const admin = await connect();
    const gate = await connect();
    const gateKey = String(BigInt(schemaNames(schema).positionLockKey) ^ 2n);
    // The commit of an event of 'doomed' waits for the gate, then fails: its group rolls back.
    await admin.query(`
      CREATE FUNCTION "${schema}".fail_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(${gateKey}::bigint);
        RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'P0001';
      END $$;
      CREATE CONSTRAINT TRIGGER fail_at_gate AFTER INSERT ON "${schema}".events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stream = 'doomed')
        EXECUTE FUNCTION "${schema}".fail_at_gate();`);
    await gate.query('SELECT pg_advisory_lock($1::bigint)', [gateKey]);
    const order: string[] = [];
    const doomed = Promise.all([
      store.appendToStream('doomed', [{ name: 'first' }]),
      store.appendToStream('doomed', [{ name: 'first_too' }]),
    ]);
    void doomed.catch(() => order.push('doomed refused'));
    await waitForLockWaiter(admin, gateKey);
    const next = store.appendToStream('next', [{ name: 'second' }]);
    void next.then(() => order.push('next stored'));
    await waitForLockWaiter(admin, schemaNames(schema).positionLockKey);
    await gate.query('SELECT pg_advisory_unlock($1::bigint)', [gateKey]);
    await expect(doomed).rejects.toBeInstanceOf(StoreUnavailableError);
    const stored = await next;
    expect(order).toEqual(['doomed refused', 'next stored']);
    // The positions drawn by the failed group are never used: a gap, which readers never wait for.
    expect(stored.events[0]?.position).toBe(3);
    expect((await store.readAll()).map((event) => event.stream)).toEqual(['next']);
    expect(await store.listStreams()).toEqual([{ stream: 'next', version: 1 }]);
    // The failed stream is free again.
    await expect(store.appendToStream('doomed', [])).resolves.toMatchObject({ version: 0 });
  });
});
