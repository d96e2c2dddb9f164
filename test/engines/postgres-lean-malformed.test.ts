/**
 * The lean function refuses a call whose data or meta do not have one element per event
 * (MALFORMED_GROUP_STATE), as the group function does: it must neither answer "stored" for an
 * event it did not insert nor insert one twice (a unique violation group commit would take for a
 * race).
 */
import { afterEach, expect, it } from 'vitest';
import { encodeOne } from '../../src/engines/postgres/append-batch.js';
import { MALFORMED_GROUP_STATE } from '../../src/engines/postgres/append-function.js';
import { appendOneCallText } from '../../src/engines/postgres/append-one-function.js';
import type { PendingAppend } from '../../src/engines/postgres/group-commit.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const opened: PostgresEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

const append: PendingAppend = {
  stream: 's',
  events: [{ id: 'e1', name: 'x', dataJson: '{}', metaJson: '{}', at: '2026-01-01T00:00:00.000Z' }],
  expected: 'any',
  fencingTerm: undefined,
};

describeWithPostgres('the lean function refuses malformed data as the group function does', () => {
  for (const [label, data] of [
    ['no data element', '[]'],
    ['two data elements', '[{},{}]'],
  ] as const) {
    it(`refuses a one-event call with ${label} with ${MALFORMED_GROUP_STATE}`, async () => {
      const schema = freshSchema();
      const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
      opened.push(store);
      await store.ready();
      const values = encodeOne(append, false);
      values[5] = data;
      const outcome = await withAdmin((client) =>
        client.query(appendOneCallText(schemaNames(schema)), values).then(
          (result) => result.rows[0] as unknown,
          (error: { code?: string }) => error.code,
        ),
      );
      expect(outcome).toBe(MALFORMED_GROUP_STATE);
      expect(await store.listStreams()).toEqual([]);
    });
  }
});
