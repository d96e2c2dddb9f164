/**
 * The global order of a PostgreSQL store, under the conditions that break naive designs: writers
 * in several pools and raw connections, some holding their transaction open after appending (an
 * append made inside a caller's BEGIN … COMMIT, slowed by pg_sleep before the COMMIT), some rolling
 * back, while a reader follows the store by position with `readAll({ after })` and a subscriber
 * listens. Positions are drawn from a sequence, which hands them out in one order and sees them
 * commit in another: unless the engine makes positions commit in increasing order, the reader
 * skips the events of the slow writers.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { EventNotification, EventStore } from '../../src/engines/engine.js';
import { encodeGroup } from '../../src/engines/postgres/append-batch.js';
import { appendCallText } from '../../src/engines/postgres/append-function.js';
import { schemaNames } from '../../src/engines/postgres/identifiers.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { postgresStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

const STORES = 3;
const CALLERS_PER_STORE = 6;
const APPENDS_PER_CALLER = 15;
const RAW_WRITERS = 3;
const RAW_APPENDS = 12;
const PAGE = 7;

const opened: EventStore[] = [];
const clients: pg.Client[] = [];

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
});

function open(schema: string): EventStore {
  const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
  opened.push(store);
  return store;
}

/** Appends one event through the store's function inside an explicit transaction, slowly. */
async function slowRawAppend(
  client: pg.Client,
  schema: string,
  stream: string,
  id: string,
  commit: boolean,
): Promise<void> {
  const names = schemaNames(schema);
  await client.query('BEGIN');
  await client.query(
    appendCallText(names),
    encodeGroup([
      {
        stream,
        events: [
          {
            id,
            name: 'slow',
            dataJson: JSON.stringify({ id }),
            metaJson: '{}',
            at: new Date().toISOString(),
          },
        ],
        expected: 'any',
        fencingTerm: undefined,
      },
    ]),
  );
  // The append is done, its position drawn, but it is not committed yet: others append meanwhile.
  await client.query('SELECT pg_sleep($1)', [0.01 + Math.random() * 0.04]);
  await client.query(commit ? 'COMMIT' : 'ROLLBACK');
}

function expectStrictlyIncreasing(positions: readonly number[]): void {
  for (let index = 1; index < positions.length; index++) {
    expect(positions[index]).toBeGreaterThan(positions[index - 1] as number);
  }
}

describeWithPostgres('the global order of the PostgreSQL engine', () => {
  it('lets a reader following by position see every event exactly once while slow transactions commit out of order', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: STORES }, () => open(schema));
    await Promise.all(stores.map((store) => store.streamVersion('warm-up')));
    const listening = open(schema);
    const notified: EventNotification[][] = [];
    const subscription = await listening.subscribe((notifications) => notified.push([...notifications]));

    let writing = true;
    let appended = 0;
    const rolledBack = new Set<string>();

    const libraryWriters = stores.flatMap((store, storeIndex) =>
      Array.from({ length: CALLERS_PER_STORE }, async (_, caller) => {
        for (let append = 0; append < APPENDS_PER_CALLER; append++) {
          const events = Array.from({ length: 1 + ((caller + append) % 3) }, (_, index) => ({
            name: 'fast',
            data: { storeIndex, caller, append, index },
          }));
          // Own streams and shared ones, so groups of different processes share streams.
          const stream = append % 2 === 0 ? `shared-${append % 3}` : `own-${storeIndex}-${caller}`;
          await store.appendToStream(stream, events);
          appended += events.length;
        }
      }),
    );

    const rawWriters = Array.from({ length: RAW_WRITERS }, async (_, writer) => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      clients.push(client);
      await client.connect();
      for (let append = 0; append < RAW_APPENDS; append++) {
        const id = `raw-${writer}-${append}`;
        const commit = append % 4 !== 3;
        if (!commit) rolledBack.add(id);
        await slowRawAppend(client, schema, `shared-${append % 3}`, id, commit);
        if (commit) appended++;
      }
    });

    const reader = (async () => {
      const seen: StoredEvent[] = [];
      let after = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await stores[0]!.readAll({ after, limit: PAGE });
        for (const event of page) {
          expect(event.position).toBeGreaterThan(after);
          after = event.position;
          seen.push(event);
        }
        // Once the writers are done, one empty page means the reader has reached the end.
        if (page.length === 0 && !stillWriting) return seen;
      }
    })();

    await Promise.all([...libraryWriters, ...rawWriters]);
    writing = false;
    const seen = await reader;

    const stored: StoredEvent[] = [];
    for (;;) {
      const page = await stores[1]!.readAll({ after: stored[stored.length - 1]?.position ?? 0, limit: 500 });
      if (page.length === 0) break;
      stored.push(...page);
    }
    expect(stored).toHaveLength(appended);
    expect(seen.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
    expectStrictlyIncreasing(seen.map((event) => event.position));
    expect(seen.some((event) => rolledBack.has(event.id))).toBe(false);

    // Notifications came in position order too, and every event was notified.
    const deadline = Date.now() + 10_000;
    while (notified.flat().length < stored.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subscription.close();
    const notifiedPositions = notified.flat().map((notification) => notification.position);
    expectStrictlyIncreasing(notifiedPositions);
    expect(notifiedPositions).toEqual(stored.map((event) => event.position));

    // Every stream is whole: versions 1..n, each batch contiguous.
    for (const { stream, version } of await stores[2]!.listStreams()) {
      const events = await stores[2]!.readStream(stream);
      expect(events.map((event) => event.version)).toEqual(
        Array.from({ length: version }, (_, index) => index + 1),
      );
    }
  });
});
