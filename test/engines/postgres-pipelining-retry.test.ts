/**
 * A group whose connection is lost after it signalled the position lock, while the next
 * group is in flight: the next group commits first, the lost group is sent again and stored once,
 * every caller hears its own answer in the order the appends were made, and a reader by position
 * sees every event once.
 */
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

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

function lockParts(key: string): [string, string] {
  const value = BigInt.asUintN(64, BigInt(key));
  return [String(value >> 32n), String(value & 0xffffffffn)];
}

async function waiters(admin: pg.Client, key: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid
        AND objsubid = 1 AND NOT granted`,
    lockParts(key),
  );
  return rows.map((row) => row.pid);
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithPostgres('pipelining and a connection lost after the notice', () => {
  it('stores the lost group once, after the next, and answers both', async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(store);
    await store.ready();
    const admin = await connect();
    const gate = await connect();
    const names = schemaNames(schema);
    const gateKey = String(BigInt(names.positionLockKey) ^ 3n);
    await admin.query(`
      CREATE FUNCTION "${schema}".wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${gateKey}::bigint); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER wait_for_gate AFTER INSERT ON "${schema}".events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stream = 'slow')
        EXECUTE FUNCTION "${schema}".wait_for_gate();`);
    await gate.query('SELECT pg_advisory_lock($1::bigint)', [gateKey]);
    const order: string[] = [];
    const slow = Promise.all([
      store.appendToStream('slow', [{ id: 'slow-1', name: 'first' }]),
      store.appendToStream('slow', [{ id: 'slow-2', name: 'second' }]),
    ]);
    void slow.then(() => order.push('slow'));
    const [slowPid] = await until(async () => {
      const pids = await waiters(admin, gateKey);
      return pids.length > 0 ? pids : undefined;
    });
    const fast = store.appendToStream('fast', [{ id: 'fast-1', name: 'third' }]);
    void fast.then(() => order.push('fast'));
    await until(async () => ((await waiters(admin, names.positionLockKey)).length > 0 ? true : undefined));
    // The first group's backend dies holding L: its transaction rolls back, the next takes L.
    await admin.query('SELECT pg_terminate_backend($1)', [slowPid]);
    await until(async () => {
      const { rows } = await admin.query(`SELECT 1 FROM "${schema}".events WHERE id = 'fast-1'`);
      return rows.length > 0 ? true : undefined;
    });
    // The lost group, sent again, waits at the gate once more.
    await until(async () => ((await waiters(admin, gateKey)).length > 0 ? true : undefined));
    await gate.query('SELECT pg_advisory_unlock($1::bigint)', [gateKey]);
    const [[one, two], third] = await Promise.all([slow, fast]);
    expect(order).toEqual(['slow', 'fast']);
    expect([one.version, two.version, third.version]).toEqual([1, 2, 1]);
    const all = await store.readAll();
    expect(all.map((event) => event.id)).toEqual(['fast-1', 'slow-1', 'slow-2']);
    expect(one.events[0]?.position).toBe(all[1]?.position);
    expect(two.events[0]?.position).toBe(all[2]?.position);
    expect(third.events[0]?.position).toBe(all[0]?.position);
  });
});
