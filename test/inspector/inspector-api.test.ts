/**
 * The web inspector's HTTP API, started in-process on a store of each engine that several
 * processes share (a SQLite file, a PostgreSQL schema): the same specification for both, from the
 * overview to the live mode, with the states computed by the classes of `fixtures/ledger.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, NotificationListener, SubscribeOptions } from '../../src/engines/engine.js';
import { StoreUnavailableError } from '../../src/errors.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { startInspector, type RunningInspector } from '../../src/inspector/inspector-server.js';
import { postgresStore } from '../../src/postgres.js';
import { sqliteStore } from '../../src/sqlite.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';
import { Ledger, Tagger } from './fixtures/ledger.js';
import { SseConnection } from './sse-client.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function getJson(base: string, pathAndQuery: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${pathAndQuery}`, { headers });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('application/json')) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body } satisfies Answer;
}

interface StreamLine {
  readonly stream: string;
  readonly version: number;
  readonly lastEventAt: string | null;
}

interface StreamsAnswer {
  readonly streams: StreamLine[];
  readonly next?: string;
}

interface EventsAnswer {
  readonly events: StoredEvent[];
  readonly next?: number;
}

const EMPTY_LEDGER = { total: 0, byTag: { Map: [] }, tags: { Set: [] } };

/** The specification every engine runs; `open` gives a new, empty store each time it is called. */
function inspectorApiSpecs(engine: string, open: () => EventStore): void {
  describe(`the inspector's HTTP API on ${engine}`, () => {
    let store: EventStore;
    let inspector: RunningInspector;
    let base: string;

    beforeAll(async () => {
      store = open();
      // Interleaved, so that events of one name are spread over streams by position.
      await store.appendToStream('ledger-1', [{ name: 'added', data: { amount: 5, tag: 'food' } }]);
      await store.appendToStream('ledger-broken', [{ name: 'added', data: { amount: 5, tag: 'food' } }]);
      await store.appendToStream('ledger-1', [{ name: 'added', data: { amount: 7, tag: 'rent' } }]);
      await store.appendToStream('ledger-broken', [{ name: 'refused', data: { reason: 'closed' } }]);
      await store.appendToStream('ledger-1', [{ name: 'added', data: { amount: 3, tag: 'food' } }]);
      await store.appendToStream('ledger-broken', [{ name: 'added', data: { amount: 1, tag: 'late' } }]);
      await store.appendToStream('user-1', [
        { name: 'signed_up', data: { email: 'ann@example.com' } },
        { name: 'logged_in', data: { token: 't-1' } },
        { name: 'logged_out' },
      ]);
      await store.appendToStream('user-2', [{ name: 'signed_up', data: { email: 'bob@example.com' } }]);
      await store.appendToStream('order-7', [{ name: 'placed', data: { total: 12 } }]);
      for (let n = 11; n >= 0; n--) {
        await store.appendToStream(`page-${String(n).padStart(2, '0')}`, [{ name: 'paged', data: { n } }]);
      }
      inspector = await startInspector({
        store,
        storeDescription: `${engine} test store`,
        actors: [Ledger, Tagger],
        port: 0,
      });
      base = `http://127.0.0.1:${inspector.port}`;
    });

    afterAll(async () => {
      await inspector?.close();
      await store?.close();
    });

    const get = (pathAndQuery: string, headers?: Record<string, string>) =>
      getJson(base, pathAndQuery, headers);

    async function allStreamIds(): Promise<string[]> {
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listStreams({ limit: 1000, ...(after === undefined ? {} : { after }) });
        ids.push(...page.map((info) => info.stream));
        if (page.length < 1000) return ids;
        after = page.at(-1)?.stream;
      }
    }

    async function lastEventOf(stream: string): Promise<StoredEvent> {
      const version = await store.streamVersion(stream);
      const [event] = await store.readStream(stream, { fromVersion: version, toVersion: version });
      if (event === undefined) throw new Error(`no event in ${stream}`);
      return event;
    }

    describe('/api/overview', () => {
      it('names the store and the actor classes loaded, the default one first', async () => {
        const answer = await get('/api/overview');
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ store: `${engine} test store`, actors: ['Ledger', 'Tagger'] });
        expect(answer.headers.get('cache-control')).toBe('no-store');
      });
    });

    describe('/api/streams', () => {
      it('lists every stream sorted by id, with its number of events and the time of its last event', async () => {
        const answer = await get('/api/streams');
        expect(answer.status).toBe(200);
        const { streams, next } = answer.body as StreamsAnswer;
        expect(next).toBeUndefined();
        const ids = streams.map((line) => line.stream);
        expect(ids).toEqual([...ids].sort());
        expect(ids).toEqual(await allStreamIds());
        expect(streams.find((line) => line.stream === 'user-1')).toEqual({
          stream: 'user-1',
          version: 3,
          lastEventAt: (await lastEventOf('user-1')).at,
        });
        expect(streams.find((line) => line.stream === 'order-7')?.version).toBe(1);
      });

      it('search keeps the streams whose id holds the text anywhere, not only at the start', async () => {
        const users = await get('/api/streams?search=user');
        expect((users.body as StreamsAnswer).streams.map((line) => line.stream)).toEqual([
          'user-1',
          'user-2',
        ]);
        const middle = await get('/api/streams?search=broken');
        expect((middle.body as StreamsAnswer).streams.map((line) => line.stream)).toEqual(['ledger-broken']);
        const none = await get('/api/streams?search=nobody-has-this');
        expect(none.body).toEqual({ streams: [] });
      });

      it('limit and next page through every stream exactly once, in order', async () => {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const query = `/api/streams?limit=4${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
          const answer = await get(query);
          expect(answer.status).toBe(200);
          const { streams, next } = answer.body as StreamsAnswer;
          expect(streams.length).toBeLessThanOrEqual(4);
          seen.push(...streams.map((line) => line.stream));
          if (next === undefined) break;
          after = next;
        }
        expect(seen).toEqual(await allStreamIds());
        expect(new Set(seen).size).toBe(seen.length);
      });

      it('a search pages the same way: each matching stream once', async () => {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const answer = await get(
            `/api/streams?search=page-&limit=5${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`,
          );
          const { streams, next } = answer.body as StreamsAnswer;
          seen.push(...streams.map((line) => line.stream));
          if (next === undefined) break;
          after = next;
        }
        expect(seen).toEqual(Array.from({ length: 12 }, (_, n) => `page-${String(n).padStart(2, '0')}`));
      });

      it('a limit that is not a whole number from 1 to 500 is refused with 400', async () => {
        for (const limit of ['0', '501', 'ten', '-1', '2.5']) {
          const answer = await get(`/api/streams?limit=${limit}`);
          expect(answer.status, limit).toBe(400);
          expect(answer.body, limit).toEqual({ error: expect.stringContaining('limit') });
        }
      });
    });

    describe('/api/stream', () => {
      it("answers a stream's events in version order, with the stream's version", async () => {
        const answer = await get('/api/stream?id=user-1');
        expect(answer.status).toBe(200);
        const body = answer.body as { stream: string; version: number; events: StoredEvent[] };
        expect(body.stream).toBe('user-1');
        expect(body.version).toBe(3);
        expect(body.events.map((event) => [event.version, event.name])).toEqual([
          [1, 'signed_up'],
          [2, 'logged_in'],
          [3, 'logged_out'],
        ]);
        expect(body.events).toEqual(await store.readStream('user-1'));
      });

      it('from and limit choose a slice; the version still says how long the stream is', async () => {
        const answer = await get('/api/stream?id=user-1&from=2&limit=1');
        expect(answer.status).toBe(200);
        const body = answer.body as { version: number; events: StoredEvent[] };
        expect(body.version).toBe(3);
        expect(body.events.map((event) => event.version)).toEqual([2]);
        const past = await get('/api/stream?id=user-1&from=4');
        expect((past.body as { events: StoredEvent[] }).events).toEqual([]);
      });

      it('a stream without events is 404', async () => {
        const answer = await get('/api/stream?id=nobody');
        expect(answer.status).toBe(404);
        expect(answer.body).toEqual({ error: expect.stringContaining('nobody') });
      });

      it('a missing id or a bad number is 400, saying which', async () => {
        expect(await get('/api/stream')).toMatchObject({
          status: 400,
          body: { error: expect.stringContaining('id') },
        });
        expect((await get('/api/stream?id=')).status).toBe(400);
        for (const query of [
          'from=0',
          'from=x',
          'from=-1',
          'from=1.5',
          'limit=0',
          'limit=1001',
          'limit=1e2',
        ]) {
          const answer = await get(`/api/stream?id=user-1&${query}`);
          expect(answer.status, query).toBe(400);
          expect(answer.body, query).toEqual({ error: expect.stringContaining(query.split('=')[0] ?? '') });
        }
      });
    });

    describe('/api/state', () => {
      it('at version 1: the event, the state before (the initial one) and after, and what changed', async () => {
        const answer = await get('/api/state?stream=ledger-1&version=1');
        expect(answer.status).toBe(200);
        const [first] = await store.readStream('ledger-1', { fromVersion: 1, toVersion: 1 });
        expect(answer.body).toEqual({
          outcome: 'applied',
          actor: 'Ledger',
          version: 1,
          event: first,
          stateBefore: EMPTY_LEDGER,
          state: { total: 5, byTag: { Map: [['food', 5]] }, tags: { Set: ['food'] } },
          changes: [
            { path: 'total', kind: 'changed', before: 0, after: 5 },
            { path: 'byTag.get("food")', kind: 'added', after: 5 },
            { path: 'tags{"food"}', kind: 'added', after: 'food' },
          ],
        });
      });

      it('at a later version: the state built by every event before it, and only that event’s changes', async () => {
        const answer = await get('/api/state?stream=ledger-1&version=3');
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
          outcome: 'applied',
          version: 3,
          event: { stream: 'ledger-1', version: 3, name: 'added' },
          stateBefore: {
            total: 12,
            byTag: {
              Map: [
                ['food', 5],
                ['rent', 7],
              ],
            },
            tags: { Set: ['food', 'rent'] },
          },
          state: {
            total: 15,
            byTag: {
              Map: [
                ['food', 8],
                ['rent', 7],
              ],
            },
            tags: { Set: ['food', 'rent'] },
          },
          changes: [
            { path: 'total', kind: 'changed', before: 12, after: 15 },
            { path: 'byTag.get("food")', kind: 'changed', before: 5, after: 8 },
          ],
        });
      });

      it('actor= picks another loaded class, which computes its own state from the same events', async () => {
        const answer = await get('/api/state?stream=ledger-1&version=2&actor=Tagger');
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({
          outcome: 'applied',
          actor: 'Tagger',
          stateBefore: { lastTag: 'food', count: 1 },
          state: { lastTag: 'rent', count: 2 },
        });
      });

      it("a handler that throws: outcome 'failed' at its version, with the error and the state before it", async () => {
        const before = await get('/api/state?stream=ledger-broken&version=1');
        expect(before.body).toMatchObject({ outcome: 'applied', state: { total: 5 } });

        const [refused] = await store.readStream('ledger-broken', { fromVersion: 2, toVersion: 2 });
        const failed = await get('/api/state?stream=ledger-broken&version=2');
        expect(failed.status).toBe(200);
        expect(failed.body).toEqual({
          outcome: 'failed',
          actor: 'Ledger',
          version: 2,
          failedAt: refused,
          error: expect.stringContaining('the ledger refuses: closed'),
          stateBefore: { total: 5, byTag: { Map: [['food', 5]] }, tags: { Set: ['food'] } },
        });
      });

      it("every version after the failed one is 'failed' too, naming the event the replay stopped at", async () => {
        const later = await get('/api/state?stream=ledger-broken&version=3');
        expect(later.status).toBe(200);
        expect(later.body).toMatchObject({
          outcome: 'failed',
          version: 3,
          failedAt: { stream: 'ledger-broken', version: 2, name: 'refused' },
          stateBefore: { total: 5 },
        });
      });

      it('an actor class that is not loaded is 404', async () => {
        const answer = await get('/api/state?stream=ledger-1&version=1&actor=Nobody');
        expect(answer.status).toBe(404);
        expect(answer.body).toEqual({ error: expect.stringContaining('Nobody') });
      });

      it('a version beyond the stream, or a stream without events, is 404', async () => {
        expect((await get('/api/state?stream=ledger-1&version=4')).status).toBe(404);
        expect((await get('/api/state?stream=nobody&version=1')).status).toBe(404);
      });

      it('a missing stream or version, or a version that is not a whole number >= 1, is 400', async () => {
        for (const query of [
          'version=1',
          'stream=ledger-1',
          'stream=ledger-1&version=0',
          'stream=ledger-1&version=two',
        ]) {
          const answer = await get(`/api/state?${query}`);
          expect(answer.status, query).toBe(400);
          expect(answer.body, query).toEqual({ error: expect.any(String) });
        }
      });

      it('after the stream grows, the answer holds the new events (nothing stale is served)', async () => {
        await store.appendToStream('growing', [
          { name: 'added', data: { amount: 1, tag: 'a' } },
          { name: 'added', data: { amount: 2, tag: 'b' } },
        ]);
        expect(await get('/api/state?stream=growing&version=2')).toMatchObject({
          status: 200,
          body: { state: { total: 3 } },
        });
        expect((await get('/api/state?stream=growing&version=3')).status).toBe(404);

        await store.appendToStream('growing', [{ name: 'added', data: { amount: 4, tag: 'a' } }]);
        const grown = await get('/api/state?stream=growing&version=3');
        expect(grown).toMatchObject({
          status: 200,
          body: {
            outcome: 'applied',
            state: {
              total: 7,
              byTag: {
                Map: [
                  ['a', 5],
                  ['b', 2],
                ],
              },
            },
          },
        });
        expect(await get('/api/state?stream=growing&version=2')).toMatchObject({
          body: { state: { total: 3 } },
        });

        await store.appendToStream('growing', [{ name: 'refused', data: { reason: 'full' } }]);
        expect(await get('/api/state?stream=growing&version=4')).toMatchObject({
          status: 200,
          body: { outcome: 'failed', failedAt: { version: 4 }, stateBefore: { total: 7 } },
        });
        expect(await get('/api/state?stream=growing&version=3')).toMatchObject({
          body: { outcome: 'applied', state: { total: 7 } },
        });
      });

      it('with no actor class loaded, a state is 409, saying how to load one', async () => {
        const bare = await startInspector({ store, storeDescription: 'bare', port: 0 });
        try {
          const answer = await getJson(
            `http://127.0.0.1:${bare.port}`,
            '/api/state?stream=ledger-1&version=1',
          );
          expect(answer.status).toBe(409);
          expect(answer.body).toEqual({ error: expect.stringContaining('--actor') });
          const overview = await getJson(`http://127.0.0.1:${bare.port}`, '/api/overview');
          expect(overview.body).toEqual({ store: 'bare', actors: [] });
        } finally {
          await bare.close();
        }
      });
    });

    describe('/api/events', () => {
      it('lists the events of a name across streams, in position order', async () => {
        const answer = await get('/api/events?name=added');
        expect(answer.status).toBe(200);
        const { events, next } = answer.body as EventsAnswer;
        expect(next).toBeUndefined();
        expect(events.every((event) => event.name === 'added')).toBe(true);
        expect(events.map((event) => `${event.stream}@${event.version}`).slice(0, 5)).toEqual([
          'ledger-1@1',
          'ledger-broken@1',
          'ledger-1@2',
          'ledger-1@3',
          'ledger-broken@3',
        ]);
        const positions = events.map((event) => event.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
        expect(events).toEqual(await store.readAll({ names: ['added'] }));
      });

      it('several names at once', async () => {
        const answer = await get('/api/events?name=signed_up&name=placed');
        expect((answer.body as EventsAnswer).events.map((event) => [event.stream, event.name])).toEqual([
          ['user-1', 'signed_up'],
          ['user-2', 'signed_up'],
          ['order-7', 'placed'],
        ]);
      });

      it('limit and after page on: next is the last position given, and each event comes once', async () => {
        const everything = await store.readAll({ names: ['added', 'paged'] });
        const seen: StoredEvent[] = [];
        let after = 0;
        for (let pages = 0; pages < 100; pages++) {
          const answer = await get(`/api/events?name=added&name=paged&limit=3&after=${after}`);
          expect(answer.status).toBe(200);
          const { events, next } = answer.body as EventsAnswer;
          seen.push(...events);
          if (next === undefined) break;
          expect(next).toBe(events.at(-1)?.position);
          after = next;
        }
        expect(seen).toEqual(everything);
      });

      it('without a name, or with a bad after or limit, it is 400', async () => {
        for (const query of [
          '',
          'name=',
          'name=added&after=-1',
          'name=added&limit=0',
          'name=added&limit=x',
        ]) {
          expect((await get(`/api/events?${query}`)).status, query).toBe(400);
        }
      });
    });

    describe('/api/live', () => {
      const live = async (query = '', headers: Record<string, string> = {}) => {
        const connection = await SseConnection.open(`${base}/api/live${query}`, headers);
        expect(connection.status).toBe(200);
        expect(connection.headers.get('content-type')).toContain('text/event-stream');
        await connection.nextOf('listening');
        return connection;
      };

      it('sends each event stored after connecting once, in position order, with its position as id', async () => {
        const connection = await live();
        try {
          await store.appendToStream('live-a', [
            { name: 'opened', data: { n: 1 } },
            { name: 'noted', data: { n: 2 } },
          ]);
          await store.appendToStream('live-b', [{ name: 'opened', data: { n: 3 } }]);
          await store.appendToStream('live-a', [{ name: 'closed', data: { n: 4 } }]);
          const frames = await connection.take('stored', 4);
          const sent = frames.map((frame) => JSON.parse(frame.data) as StoredEvent);
          expect(sent.map((event) => `${event.stream}@${event.version}`)).toEqual([
            'live-a@1',
            'live-a@2',
            'live-b@1',
            'live-a@3',
          ]);
          expect(frames.map((frame) => frame.id)).toEqual(sent.map((event) => String(event.position)));
          const stored = await store.readAll({ after: sent[0]!.position - 1, limit: 4 });
          expect(sent).toEqual(stored);

          // Nothing is sent twice: the next frame is the next event stored.
          await store.appendToStream('live-b', [{ name: 'closed', data: { n: 5 } }]);
          const following = JSON.parse((await connection.nextOf('stored')).data) as StoredEvent;
          expect(`${following.stream}@${following.version}`).toBe('live-b@2');
        } finally {
          connection.close();
        }
      });

      it('stream= sends the events of that stream only', async () => {
        const connection = await live('?stream=live-c');
        try {
          await store.appendToStream('live-d', [{ name: 'opened' }]);
          await store.appendToStream('live-c', [{ name: 'opened' }]);
          await store.appendToStream('live-d', [{ name: 'closed' }]);
          await store.appendToStream('live-c', [{ name: 'closed' }]);
          const sent = (await connection.take('stored', 2)).map(
            (frame) => JSON.parse(frame.data) as StoredEvent,
          );
          expect(sent.map((event) => `${event.stream}@${event.version}:${event.name}`)).toEqual([
            'live-c@1:opened',
            'live-c@2:closed',
          ]);
        } finally {
          connection.close();
        }
      });

      it('name= sends the events of those names only, whatever their stream', async () => {
        const connection = await live('?name=wanted&name=also_wanted');
        try {
          await store.appendToStream('live-e', [{ name: 'ignored' }, { name: 'wanted', data: { n: 1 } }]);
          await store.appendToStream('live-f', [
            { name: 'also_wanted', data: { n: 2 } },
            { name: 'ignored' },
          ]);
          await store.appendToStream('live-e', [{ name: 'wanted', data: { n: 3 } }]);
          const sent = (await connection.take('stored', 3)).map(
            (frame) => JSON.parse(frame.data) as StoredEvent,
          );
          expect(sent.map((event) => [event.stream, event.name, event.data])).toEqual([
            ['live-e', 'wanted', { n: 1 }],
            ['live-f', 'also_wanted', { n: 2 }],
            ['live-e', 'wanted', { n: 3 }],
          ]);
        } finally {
          connection.close();
        }
      });

      it('a reconnection with Last-Event-ID gets exactly the events stored after that id', async () => {
        const first = await live('?stream=live-g');
        let lastId: string | undefined;
        try {
          await store.appendToStream('live-g', [{ name: 'one' }, { name: 'two' }]);
          const frames = await first.take('stored', 2);
          lastId = frames.at(-1)?.id;
        } finally {
          first.close();
        }
        expect(lastId).toBeDefined();
        // Stored while no one listens: the reconnection must not miss them.
        await store.appendToStream('live-g', [{ name: 'three' }, { name: 'four' }]);
        await store.appendToStream('live-h', [{ name: 'elsewhere' }]);

        // The events it catches up may come before or after its `listening` frame: only the
        // stored ones are counted here.
        const again = await SseConnection.open(`${base}/api/live`, { 'Last-Event-ID': lastId ?? '' });
        try {
          expect(again.status).toBe(200);
          const missed = await store.readAll({ after: Number(lastId) });
          expect(missed.map((event) => event.name)).toEqual(['three', 'four', 'elsewhere']);
          const frames = await again.take('stored', missed.length);
          expect(frames.map((frame) => frame.id)).toEqual(missed.map((event) => String(event.position)));
          expect(frames.map((frame) => JSON.parse(frame.data) as StoredEvent)).toEqual(missed);

          await store.appendToStream('live-g', [{ name: 'five' }]);
          const next = JSON.parse((await again.nextOf('stored')).data) as StoredEvent;
          expect(next.name).toBe('five');
        } finally {
          again.close();
        }
      });

      it('a Last-Event-ID that is not a position is 400', async () => {
        const answer = await get('/api/live', { 'Last-Event-ID': 'yesterday' });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({ error: expect.stringContaining('Last-Event-ID') });
      });

      it('an event larger than a notification carries arrives whole', async () => {
        const connection = await live('?stream=live-large');
        try {
          const blob = 'x'.repeat(200_000);
          await store.appendToStream('live-large', [{ name: 'large', data: { blob, after: 'the end' } }]);
          const frame = await connection.nextOf('stored');
          const sent = JSON.parse(frame.data) as StoredEvent;
          expect(sent).toEqual(await lastEventOf('live-large'));
          expect((sent.data as { blob: string }).blob).toHaveLength(200_000);
          expect(frame.id).toBe(String(sent.position));
        } finally {
          connection.close();
        }
      });

      it('on a resume, the listening frame comes first and names the position it resumes after', async () => {
        await store.appendToStream('live-resume', [{ name: 'one' }, { name: 'two' }, { name: 'three' }]);
        const [first] = await store.readStream('live-resume', { fromVersion: 1, toVersion: 1 });
        const connection = await SseConnection.open(`${base}/api/live?stream=live-resume`, {
          'Last-Event-ID': String(first?.position),
        });
        try {
          const frames = [await connection.next(), await connection.next(), await connection.next()];
          expect(
            frames.map((frame) => [frame?.event, frame?.event === 'stored' ? frame.id : frame?.data]),
          ).toEqual([
            ['listening', JSON.stringify({ after: first?.position })],
            ['stored', String((first?.position ?? 0) + 1)],
            ['stored', String((first?.position ?? 0) + 2)],
          ]);
        } finally {
          connection.close();
        }
      });

      it('after must be digits, as every number of the API: an empty one is no resume point, 1e1 or 0x10 is 400', async () => {
        await store.appendToStream('live-empty-after', [{ name: 'old' }]);
        const connection = await SseConnection.open(`${base}/api/live?stream=live-empty-after&after=`);
        try {
          expect(connection.status).toBe(200);
          const before: string[] = [];
          for (
            let frame = await connection.next();
            frame?.event !== 'listening';
            frame = await connection.next()
          ) {
            if (frame === undefined) throw new Error('the stream ended before listening');
            before.push(
              frame.event === 'stored' ? (JSON.parse(frame.data) as StoredEvent).name : frame.event,
            );
          }
          await store.appendToStream('live-empty-after', [{ name: 'new' }]);
          const sent = JSON.parse((await connection.nextOf('stored')).data) as StoredEvent;
          expect([...before, sent.name]).toEqual(['new']);
        } finally {
          connection.close();
        }
        for (const after of ['1e1', '0x10', '%207']) {
          const refused = await SseConnection.open(`${base}/api/live?after=${after}`);
          refused.close();
          expect(refused.status, after).toBe(400);
        }
      });

      it('closing the inspector ends its open live connections, and close() resolves', async () => {
        const own = await startInspector({ store, storeDescription: 'closing', actors: [Ledger], port: 0 });
        const connection = await SseConnection.open(`http://127.0.0.1:${own.port}/api/live`);
        await connection.nextOf('listening');
        const ended = connection.rest();
        await own.close();
        const after = await ended;
        expect(after.filter((frame) => frame.event === 'stored')).toEqual([]);
        await expect(fetch(`http://127.0.0.1:${own.port}/api/overview`)).rejects.toThrow();
      });
    });
  });
}

const folder = mkdtempSync(path.join(tmpdir(), 'omniscient-inspector-api-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
inspectorApiSpecs('SQLite', () => sqliteStore({ file: path.join(folder, `events-${++files}.db`) }));

describeWithPostgres('the inspector on PostgreSQL', () => {
  inspectorApiSpecs('PostgreSQL', () =>
    postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema() }),
  );
});

/**
 * A store whose notifications never carry the event (as a PostgreSQL notification too small for
 * it), and whose first read of stream `flaky` fails, as a lost connection makes it fail.
 */
function withOneFailedRead(store: EventStore): EventStore {
  let failures = 1;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'subscribe') {
        return (listener: NotificationListener, options?: SubscribeOptions) =>
          target.subscribe(
            (notifications) =>
              listener(
                notifications.map((notification) => ({
                  stream: notification.stream,
                  version: notification.version,
                  position: notification.position,
                  name: notification.name,
                })),
              ),
            options,
          );
      }
      if (property === 'readStream') {
        return async (stream: string, range?: Parameters<EventStore['readStream']>[1]) => {
          if (stream === 'flaky' && failures-- > 0) {
            throw new StoreUnavailableError('the connection to the store was lost');
          }
          return target.readStream(stream, range);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('live events when a read of the store fails once', () => {
  let store: EventStore;
  let inspector: RunningInspector;

  beforeAll(async () => {
    store = sqliteStore({ file: path.join(folder, 'flaky.db') });
    inspector = await startInspector({ store: withOneFailedRead(store), storeDescription: 'flaky', port: 0 });
  });
  afterAll(async () => {
    await inspector?.close();
    await store?.close();
  });

  it('the event it was reading is not lost: it still reaches a client that reconnects as a browser does', async () => {
    const url = `http://127.0.0.1:${inspector.port}/api/live?stream=flaky`;
    let connection = await SseConnection.open(url);
    await connection.nextOf('listening');
    await store.appendToStream('flaky', [{ name: 'first' }]);
    await store.appendToStream('flaky', [{ name: 'second' }]);
    const received: string[] = [];
    let lastId: string | undefined;
    try {
      // Like EventSource: when the server ends the stream, connect again with the last id seen.
      while (!received.includes('second')) {
        const frame = await connection.next();
        if (frame === undefined) {
          connection = await SseConnection.open(url, lastId === undefined ? {} : { 'Last-Event-ID': lastId });
        } else if (frame.event === 'stored') {
          lastId = frame.id;
          received.push((JSON.parse(frame.data) as StoredEvent).name);
        }
      }
    } finally {
      connection.close();
    }
    expect(received).toEqual(['first', 'second']);
  });
});

describe('the inspector when the store cannot be reached', () => {
  let store: EventStore;
  let inspector: RunningInspector;
  let base: string;

  beforeAll(async () => {
    store = postgresStore(
      { connectionString: 'postgres://postgres@127.0.0.1:1/test' },
      { connectionRetryMs: 100 },
    );
    inspector = await startInspector({ store, storeDescription: 'unreachable', actors: [Ledger], port: 0 });
    base = `http://127.0.0.1:${inspector.port}`;
  });

  afterAll(async () => {
    await inspector?.close();
    await store?.close().catch(() => undefined);
  });

  it('a PostgreSQL store on a closed port: /api/streams is 503 with a JSON error, and the server keeps answering', async () => {
    const streams = await getJson(base, '/api/streams');
    expect(streams.status).toBe(503);
    expect(streams.body).toEqual({ error: expect.stringContaining('127.0.0.1:1') });

    expect(await getJson(base, '/api/overview')).toMatchObject({
      status: 200,
      body: { store: 'unreachable', actors: ['Ledger'] },
    });
    expect((await getJson(base, '/api/stream?id=ledger-1')).status).toBe(503);
    expect((await getJson(base, '/api/state?stream=ledger-1&version=1')).status).toBe(503);
    expect((await getJson(base, '/api/streams')).status).toBe(503);
  });

  it('/api/live says why it cannot follow the store, then ends (the browser tries again)', async () => {
    const live = await SseConnection.open(`${base}/api/live`);
    const trouble = await live.nextOf('trouble');
    expect(JSON.parse(trouble.data)).toEqual({ error: expect.stringContaining('127.0.0.1:1') });
    expect(await live.rest()).toEqual([]);
    live.close();
  });
});
