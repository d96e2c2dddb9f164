/**
 * `append_one` and `append_events` called with the same appends (on twin streams of one
 * schema) must answer, store and notify the same, for the inputs the brief lists: payloads over
 * the NOTIFY limit (announced only, or split), `\u0000` in data, appends of no events with a term,
 * `exists` / `no-stream` on a stream that only has a term, retries and duplicates in every order.
 */
import { afterEach, expect, it } from 'vitest';
import { decodeAnswers, decodeOne, encodeGroup, encodeOne } from '../../src/engines/postgres/append-batch.js';
import { appendCallText } from '../../src/engines/postgres/append-function.js';
import { appendOneCallText } from '../../src/engines/postgres/append-one-function.js';
import type { PendingAppend } from '../../src/engines/postgres/group-commit.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import type { ExpectedVersion } from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const opened: PostgresEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

interface Spec {
  stream: string;
  ids: string[];
  data?: string[];
  expected?: ExpectedVersion;
  term?: number;
}

const at = '2026-01-02T03:04:05.678Z';
const big = (n: number) => JSON.stringify({ text: 'x'.repeat(n) });

function pending(side: 'L' | 'G', spec: Spec): PendingAppend {
  return {
    stream: `${side}-${spec.stream}`,
    events: spec.ids.map((id, index) => ({
      id: `${side}-${id}`,
      name: 'happened',
      dataJson: spec.data?.[index] ?? `{"n":${index}}`,
      metaJson: '{"m":"\\u0000"}',
      at,
    })),
    expected: spec.expected ?? 'any',
    fencingTerm: spec.term,
  };
}

const cases: Spec[] = [
  { stream: 'a', ids: ['a1'], data: ['{"z":"a\\u0000b"}'] },
  { stream: 'a', ids: ['a2'], data: [big(9000)] },
  { stream: 'a', ids: ['a3', 'a4', 'a5'], data: [big(3000), big(3000), big(3000)] },
  { stream: 'a', ids: ['a6', 'a7'], data: [big(9000), '{}'] },
  { stream: 'a', ids: ['a1'], data: ['{"z":"a\\u0000b"}'] }, // retry
  { stream: 'a', ids: ['a3', 'a4', 'a5'], data: [big(3000), big(3000), '{}'] }, // not a retry
  { stream: 'b', ids: ['a1'] }, // stored elsewhere
  { stream: 't', ids: [], term: 5 },
  { stream: 't', ids: [], term: 5 },
  { stream: 't', ids: [], term: 3 },
  { stream: 't', ids: ['t1'], expected: 'exists' },
  { stream: 't', ids: ['t1'], expected: 'no-stream', term: 4 },
  { stream: 't', ids: ['t1'], expected: 'no-stream', term: 5 },
  { stream: 't', ids: ['t2', 'a2'], expected: 7 },
  { stream: 't', ids: ['t2', 'a2'], term: 1 },
  { stream: 't', ids: ['a2', 't2'], term: 1 },
  { stream: 't', ids: ['t2', 'a2'] },
  { stream: 't', ids: [], expected: 'exists', term: 9 },
  { stream: 'u', ids: [], expected: 'exists' },
  { stream: 'u', ids: [], expected: 'no-stream' },
  { stream: 'u', ids: [], expected: 3 },
];

describeWithPostgres('append_one and append_events agree', () => {
  it('answers, stores and notifies the same for the same appends', async () => {
    const schema = freshSchema();
    const names = schemaNames(schema);
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(store);
    await store.ready();
    const neutral = (text: string) => text.replaceAll(/"[LG]-/g, '"').replaceAll(/"p":\d+/g, '"p":_');
    await withAdmin(async (listener) => {
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.payload ?? ''));
      await listener.query(`LISTEN "${names.channel}"`);
      await withAdmin(async (writer) => {
        for (const spec of cases) {
          const call = async <T>(run: () => Promise<T>): Promise<T | string> =>
            run().catch((error: { code?: string; message?: string }) => `error ${error.code}`);
          const lean = await call(async () => {
            const { rows } = await writer.query({
              text: appendOneCallText(names),
              values: encodeOne(pending('L', spec), false),
              rowMode: 'array',
            });
            const [status, answer, first, duplicate] = (rows[0] as unknown[]).map((v) =>
              v === null ? null : String(v),
            );
            return decodeOne([status ?? null, answer ?? null, first ?? null, duplicate ?? null]);
          });
          const group = await call(async () => {
            const { rows } = await writer.query({
              text: appendCallText(names),
              values: encodeGroup([pending('G', spec)]),
              rowMode: 'array',
            });
            return decodeAnswers((rows[0] as string[])[0]);
          });
          const shape = (answer: unknown) =>
            typeof answer === 'string'
              ? answer
              : (answer as (readonly [number, number | null, number | null, string | null])[]).map(
                  ([status, value, first, duplicate]) => [status, value, first === null, duplicate?.slice(2)],
                );
          expect(shape(typeof lean === 'string' ? lean : [lean]), JSON.stringify(spec)).toEqual(shape(group));
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lean = heard.filter((payload) => payload.includes('"s":"L-')).map(neutral);
      const group = heard.filter((payload) => payload.includes('"s":"G-')).map(neutral);
      expect(lean).toEqual(group);
      expect(lean.length).toBeGreaterThan(5);
    });
    const rows = await withAdmin(async (admin) => {
      const { rows } = await admin.query<{ side: string; row: string }>(
        `SELECT left(stream, 1) AS side, json_build_array(substr(stream, 3), substr(id, 3), version, name, data::text, meta::text, at)::text AS row
           FROM "${schema}".events ORDER BY position`,
      );
      const streams = await admin.query<{ side: string; row: string }>(
        `SELECT left(stream, 1) AS side, json_build_array(substr(stream, 3), version, fencing_term)::text AS row
           FROM "${schema}".streams ORDER BY stream`,
      );
      return [...rows, ...streams.rows];
    });
    expect(rows.filter((r) => r.side === 'L').map((r) => r.row)).toEqual(
      rows.filter((r) => r.side === 'G').map((r) => r.row),
    );
  });
});
