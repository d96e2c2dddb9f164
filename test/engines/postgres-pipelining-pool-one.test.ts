/**
 * Pipelining on a pool of one query connection, with reads taking turns on it: appends
 * arriving while a group is in flight (so that pipelining happens) all land, each stream's
 * versions follow the order of its appends, and a reader following `readAll({ after })` while they
 * land skips nothing.
 */
import { afterEach, expect, it } from 'vitest';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

const opened: PostgresEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

describeWithPostgres('pipelining with one pooled connection', () => {
  for (const poolSize of [1, 3]) {
    it(`stores every append in order with poolSize ${poolSize}, reads interleaved`, async () => {
      const schema = freshSchema();
      const store = postgresStore({ connectionString: POSTGRES_URL, poolSize }, { schema });
      opened.push(store);
      const follower = postgresStore({ connectionString: POSTGRES_URL }, { schema });
      opened.push(follower);
      await store.ready();
      const seen: number[] = [];
      let done = false;
      const following = (async () => {
        let after = 0;
        while (!done || after < 400) {
          const events = await follower.readAll({ after });
          for (const event of events) seen.push(event.position);
          after = events.at(-1)?.position ?? after;
          if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const appends: Promise<unknown>[] = [];
      const made = new Map<string, number>();
      for (let round = 0; round < 40; round++) {
        for (let index = 0; index < 10; index++) {
          const stream = `s${(round * 7 + index) % 13}`;
          const expected = made.get(stream) ?? 0;
          made.set(stream, expected + 1);
          appends.push(
            store.appendToStream(stream, [{ name: 'e', data: { round, index } }], {
              expectedVersion: expected === 0 ? 'no-stream' : expected,
            }),
          );
          if (index % 3 === 0) appends.push(store.readStream(stream));
          // Spread over turns of the event loop, so that appends arrive while a group is in flight.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await Promise.all(appends);
      done = true;
      await following;
      const all = await store.readAll();
      expect(all).toHaveLength(400);
      expect(seen).toEqual(all.map((event) => event.position));
      for (const stream of made.keys()) {
        const events = await store.readStream(stream);
        expect(events.map((event) => event.version)).toEqual(events.map((_, index) => index + 1));
      }
    });
  }
});
