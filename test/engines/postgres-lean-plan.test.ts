/**
 * The lean append function's plans are generic and kept per connection, so they must be made of
 * index lookups only, as the group function's are: a connection whose first lean call came while
 * `events` was small (and analyzed) must not keep scanning the whole table for every append's id
 * check as it grows.
 */
import { afterEach, expect, it } from 'vitest';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function seqScans(schema: string): Promise<number> {
  // A backend flushes its counters within a second of going idle.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const { rows } = await withAdmin((admin) =>
    admin.query<{ n: string }>(
      `SELECT coalesce(seq_scan, 0)::text AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'events'`,
      [schema],
    ),
  );
  return Number(rows[0]?.n ?? 0);
}

describeWithPostgres('the lean function keeps index plans as the tables grow', () => {
  for (const lone of [true, false]) {
    it(`${lone ? 'a lone append (append_one)' : 'a group (append_events)'} never scans the whole events table`, async () => {
      const schema = freshSchema();
      const first = postgresStore({ connectionString: POSTGRES_URL, poolSize: 1 }, { schema });
      opened.push(first);
      await first.appendToStream('warm', [{ name: 'a', data: {} }]);
      await withAdmin(async (admin) => {
        await admin.query(`ANALYZE "${schema}".events`);
        await admin.query(`ANALYZE "${schema}".streams`);
      });
      // A new connection, whose first append plans against the small, analyzed table.
      const store = postgresStore({ connectionString: POSTGRES_URL, poolSize: 1 }, { schema });
      opened.push(store);
      const append = async (stream: string) =>
        lone
          ? store.appendToStream(stream, [{ name: 'a', data: {} }])
          : Promise.all([
              store.appendToStream(stream, [{ name: 'a', data: {} }]),
              store.appendToStream(`${stream}-b`, [{ name: 'a', data: {} }]),
            ]);
      await append('first');
      await withAdmin(async (admin) => {
        await admin.query(
          `INSERT INTO "${schema}".events (position, id, stream, version, name, data, meta, at)
           SELECT nextval('"${schema}".positions'), 'bulk-' || g, 'bulk-' || g, 1, 'a', '{}', '{}', now()
             FROM generate_series(1, 20000) AS g`,
        );
      });
      const before = await seqScans(schema);
      for (let i = 0; i < 5; i++) await append(`s${i}`);
      const after = await seqScans(schema);
      expect(after - before).toBe(0);
    });
  }
});
