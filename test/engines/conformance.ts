/**
 * The engine conformance suite: what every engine must do, written against the `EventStore`
 * interface only, so that each engine's test file runs it with its own factory and nothing here
 * knows which engine it talks to.
 *
 * `makeStore` must return a new, empty store on every call, and honour the `StoreOptions` it is
 * given (the suite makes stores with a small `maxEventBytes` and a fixed clock). Every store the
 * suite makes is closed after its test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore, StoreOptions } from '../../src/engines/engine.js';
import {
  ConcurrencyError,
  DuplicateEventError,
  InvalidEventError,
  StoreUnavailableError,
  UsageError,
} from '../../src/errors.js';
import type { NewEvent, StoredEvent } from '../../src/events/envelope.js';
import { describeEngineDuties } from './conformance-duties.js';
import { rejectionOf } from './rejection-of.js';

export type MakeStore = (options?: StoreOptions) => Promise<EventStore> | EventStore;

export interface ConformanceOptions {
  /** How many callers append at once in the concurrency specifications (default 50). */
  concurrentCallers?: number;
  /** How many appends each of those callers makes (default 20). */
  appendsPerCaller?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function events(count: number, name = 'happened', from = 1): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ name, data: { n: from + index } }));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Every event of the store, read page by page. */
async function readEverything(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: all[all.length - 1]?.position ?? 0, limit: 100 });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

function expectStrictlyIncreasing(positions: readonly number[]): void {
  for (let index = 1; index < positions.length; index++) {
    expect(positions[index]).toBeGreaterThan(positions[index - 1] as number);
  }
}

/** Changes an object if it can; a frozen object refusing the change is as good. */
function tryToChange(change: () => void): void {
  try {
    change();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

export function describeEngineConformance(
  engineName: string,
  makeStore: MakeStore,
  options: ConformanceOptions = {},
): void {
  const callers = options.concurrentCallers ?? 50;
  const appendsPerCaller = options.appendsPerCaller ?? 20;

  describe(`the ${engineName} engine`, () => {
    const opened: EventStore[] = [];

    async function open(storeOptions?: StoreOptions): Promise<EventStore> {
      const store = await makeStore(storeOptions);
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    /** Asserts that `append` rejects with an `InvalidEventError` at `path` and that nothing was stored. */
    async function expectRefused(
      append: (store: EventStore) => Promise<unknown>,
      path: string,
    ): Promise<void> {
      const store = await open();
      const error = await rejectionOf(append(store));
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ code: 'INVALID_EVENT', path });
      expect(await store.readAll()).toEqual([]);
      expect(await store.listStreams()).toEqual([]);
    }

    it('reports its engine name and limits', async () => {
      const store = await open();
      expect(typeof store.engine).toBe('string');
      expect(store.engine.length).toBeGreaterThan(0);
      expect(Number.isSafeInteger(store.limits.maxEventBytes)).toBe(true);
    });

    describe('appending', () => {
      it('stores the first events of a stream at versions 1 to n', async () => {
        const store = await open();
        const result = await store.appendToStream('order-1', events(3));
        expect(result.stream).toBe('order-1');
        expect(result.version).toBe(3);
        expect(result.events.map((event) => event.version)).toEqual([1, 2, 3]);
        expect((await store.readStream('order-1')).map((event) => event.data)).toEqual([
          { n: 1 },
          { n: 2 },
          { n: 3 },
        ]);
      });

      it('continues the versions of a stream with no gap', async () => {
        const store = await open();
        await store.appendToStream('order-1', events(2));
        const result = await store.appendToStream('order-1', events(3, 'happened', 3));
        expect(result.events.map((event) => event.version)).toEqual([3, 4, 5]);
        expect(result.version).toBe(5);
        expect((await store.readStream('order-1')).map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
      });

      it('answers with the events exactly as a later read returns them', async () => {
        const store = await open();
        const result = await store.appendToStream('order-1', [
          { name: 'placed', data: { total: 12 }, meta: { actor: 'Order' } },
          { name: 'paid' },
        ]);
        expect(await store.readStream('order-1')).toEqual(result.events);
        expect(await store.readAll()).toEqual(result.events);
      });

      it('keeps each stream its own versions', async () => {
        const store = await open();
        await store.appendToStream('a', events(2));
        const result = await store.appendToStream('b', events(1));
        expect(result.events[0]?.version).toBe(1);
        expect(await store.streamVersion('a')).toBe(2);
        expect(await store.streamVersion('b')).toBe(1);
      });

      it('stores omitted data as null', async () => {
        const store = await open();
        await store.appendToStream('s', [{ name: 'ticked' }]);
        expect((await store.readStream('s'))[0]?.data).toBeNull();
      });

      it('stores nothing for an append of no events and answers the current version', async () => {
        const store = await open();
        await store.appendToStream('s', events(2));
        expect(await store.appendToStream('s', [])).toEqual({ stream: 's', events: [], version: 2 });
        expect(await store.appendToStream('empty', [])).toEqual({ stream: 'empty', events: [], version: 0 });
        expect(await store.listStreams()).toEqual([{ stream: 's', version: 2 }]);
      });

      it('checks the expected version even for an append of no events', async () => {
        const store = await open();
        const error = await rejectionOf(store.appendToStream('s', [], { expectedVersion: 'exists' }));
        expect(error).toBeInstanceOf(ConcurrencyError);
      });

      it('stores nothing of a batch with one invalid event', async () => {
        const store = await open();
        await store.appendToStream('s', events(1));
        const error = await rejectionOf(
          store.appendToStream('s', [
            { name: 'fine', data: { ok: true } },
            { name: 'also_fine' },
            { name: 'broken', data: { when: new Date(Number.NaN) } },
          ]),
        );
        expect(error).toMatchObject({ path: 'events[2].data.when' });
        expect(await store.streamVersion('s')).toBe(1);
        expect(await store.readAll()).toHaveLength(1);
      });
    });

    describe('the expected version', () => {
      it("'any', the default, appends whatever the stream's version", async () => {
        const store = await open();
        await store.appendToStream('s', events(1), { expectedVersion: 'any' });
        await store.appendToStream('s', events(1), { expectedVersion: 'any' });
        await store.appendToStream('s', events(1));
        expect(await store.streamVersion('s')).toBe(3);
      });

      it("'no-stream' appends only to a stream with no events", async () => {
        const store = await open();
        await store.appendToStream('s', events(2), { expectedVersion: 'no-stream' });
        const error = await rejectionOf(
          store.appendToStream('s', events(1), { expectedVersion: 'no-stream' }),
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ code: 'CONCURRENCY', stream: 's', expected: 'no-stream', actual: 2 });
      });

      it("0 behaves like 'no-stream'", async () => {
        const store = await open();
        await store.appendToStream('s', events(1), { expectedVersion: 0 });
        const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: 0 }));
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream: 's', expected: 0, actual: 1 });
      });

      it("'exists' appends only to a stream with events", async () => {
        const store = await open();
        const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: 'exists' }));
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ stream: 's', expected: 'exists', actual: 0 });
        await store.appendToStream('s', events(1));
        await store.appendToStream('s', events(1), { expectedVersion: 'exists' });
        expect(await store.streamVersion('s')).toBe(2);
      });

      it('a number appends only when the stream is at exactly that version', async () => {
        const store = await open();
        await store.appendToStream('s', events(2));
        for (const stale of [1, 3]) {
          const error = await rejectionOf(store.appendToStream('s', events(1), { expectedVersion: stale }));
          expect(error).toBeInstanceOf(ConcurrencyError);
          expect(error).toMatchObject({ stream: 's', expected: stale, actual: 2 });
        }
        const result = await store.appendToStream('s', events(2), { expectedVersion: 2 });
        expect(result.version).toBe(4);
      });

      it('a refused append stores nothing', async () => {
        const store = await open();
        await store.appendToStream('s', events(1));
        await rejectionOf(store.appendToStream('s', events(5), { expectedVersion: 7 }));
        expect(await store.streamVersion('s')).toBe(1);
        expect(await store.readAll()).toHaveLength(1);
      });

      it('one that is not a mode or a whole number >= 0 is refused with InvalidEventError', async () => {
        const bad: unknown[] = [-1, 1.5, Number.NaN, Infinity, '1', 'latest', null, {}];
        for (const expectedVersion of bad) {
          await expectRefused(
            (store) => store.appendToStream('s', events(1), { expectedVersion } as never),
            'expectedVersion',
          );
        }
      });
    });

    describe('reading a stream', () => {
      it('returns its events in version order', async () => {
        const store = await open();
        await store.appendToStream('s', events(3));
        await store.appendToStream('other', events(2));
        await store.appendToStream('s', events(2, 'happened', 4));
        const read = await store.readStream('s');
        expect(read.map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
        expect(read.map((event) => event.data)).toEqual(range(1, 5).map((n) => ({ n })));
        expect(read.every((event) => event.stream === 's')).toBe(true);
      });

      it('selects a range with fromVersion, toVersion and limit', async () => {
        const store = await open();
        await store.appendToStream('s', events(10));
        const versions = async (options: Parameters<EventStore['readStream']>[1]) =>
          (await store.readStream('s', options)).map((event) => event.version);
        expect(await versions({ fromVersion: 4 })).toEqual([4, 5, 6, 7, 8, 9, 10]);
        expect(await versions({ toVersion: 3 })).toEqual([1, 2, 3]);
        expect(await versions({ fromVersion: 3, toVersion: 5 })).toEqual([3, 4, 5]);
        expect(await versions({ limit: 2 })).toEqual([1, 2]);
        expect(await versions({ fromVersion: 6, limit: 3 })).toEqual([6, 7, 8]);
        expect(await versions({ fromVersion: 9, toVersion: 20, limit: 5 })).toEqual([9, 10]);
        expect(await versions({ fromVersion: 11 })).toEqual([]);
        expect(await versions({ fromVersion: 5, toVersion: 4 })).toEqual([]);
        expect(await versions({ limit: 0 })).toEqual([]);
        expect(await versions({ fromVersion: 0, limit: 1 })).toEqual([1]);
      });

      it('reads a stream with no events as empty, at version 0', async () => {
        const store = await open();
        expect(await store.readStream('nobody')).toEqual([]);
        expect(await store.streamVersion('nobody')).toBe(0);
      });

      it('knows each stream by its exact id', async () => {
        const store = await open();
        await store.appendToStream('user-1', events(1));
        await store.appendToStream('User-1', events(2));
        await store.appendToStream('user-10', events(3));
        expect(await store.readStream('user-1')).toHaveLength(1);
        expect(await store.streamVersion('User-1')).toBe(2);
        expect(await store.streamVersion('user-')).toBe(0);
      });

      it('gives streamVersion as the version of the last event', async () => {
        const store = await open();
        await store.appendToStream('s', events(4));
        await store.appendToStream('s', events(3));
        expect(await store.streamVersion('s')).toBe(7);
      });

      it('refuses a range that is not made of whole numbers with UsageError', async () => {
        const store = await open();
        for (const options of [{ fromVersion: 1.5 }, { toVersion: Number.NaN }, { limit: '3' }]) {
          expect(await rejectionOf(store.readStream('s', options as never))).toBeInstanceOf(UsageError);
        }
      });
    });

    describe('reading all events', () => {
      it('returns the events of every stream with positions strictly increasing', async () => {
        const store = await open();
        await store.appendToStream('a', events(2));
        await store.appendToStream('b', events(3));
        await store.appendToStream('a', events(1));
        const all = await store.readAll();
        expect(all.map((event) => `${event.stream}@${event.version}`)).toEqual([
          'a@1',
          'a@2',
          'b@1',
          'b@2',
          'b@3',
          'a@3',
        ]);
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect(all[0]?.position).toBeGreaterThan(0);
      });

      it('gives each event the same position in an append result, readStream and readAll', async () => {
        const store = await open();
        const first = await store.appendToStream('a', events(2));
        const second = await store.appendToStream('b', events(2));
        const appended = [...first.events, ...second.events].map((event) => event.position);
        expect((await store.readAll()).map((event) => event.position)).toEqual(appended);
        expect((await store.readStream('b')).map((event) => event.position)).toEqual(appended.slice(2));
      });

      it('pages with after and limit, visiting every event exactly once', async () => {
        const store = await open();
        for (let round = 0; round < 7; round++) {
          await store.appendToStream(`s${round % 3}`, events(5, 'happened', round * 5 + 1));
        }
        const pages: StoredEvent[][] = [];
        let after = 0;
        for (;;) {
          const page = await store.readAll({ after, limit: 4 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(4);
          pages.push(page);
          after = page[page.length - 1]?.position as number;
        }
        const seen = pages.flat().map((event) => (event.data as { n: number }).n);
        expect(seen).toEqual(range(1, 35));
        expect(pages.flat()).toEqual(await store.readAll());
      });

      it('starts after the given position, exclusive', async () => {
        const store = await open();
        const { events: stored } = await store.appendToStream('s', events(5));
        const third = stored[2] as StoredEvent;
        const after = await store.readAll({ after: third.position });
        expect(after.map((event) => event.version)).toEqual([4, 5]);
        expect(await store.readAll({ after: stored[4]?.position as number })).toEqual([]);
      });

      it('returns at most 1000 events when no limit is given', async () => {
        const store = await open();
        await store.appendToStream('big', events(1005));
        const first = await store.readAll();
        expect(first).toHaveLength(1000);
        expect(await store.readAll({ after: first[999]?.position as number })).toHaveLength(5);
        expect(await store.readAll({ limit: 1005 })).toHaveLength(1005);
      });

      it('filtered by names returns only events with those names, in position order', async () => {
        const store = await open();
        await store.appendToStream('a', [{ name: 'opened' }, { name: 'noise' }, { name: 'closed' }]);
        await store.appendToStream('b', [{ name: 'closed' }, { name: 'noise' }, { name: 'opened' }]);
        await store.appendToStream('a', [{ name: 'reopened' }, { name: 'opened' }]);
        const found = await store.readAll({ names: ['opened', 'closed'] });
        expect(found.map((event) => `${event.stream}:${event.name}`)).toEqual([
          'a:opened',
          'a:closed',
          'b:closed',
          'b:opened',
          'a:opened',
        ]);
        expectStrictlyIncreasing(found.map((event) => event.position));
        expect((await store.readAll({ names: ['reopened'] })).map((event) => event.version)).toEqual([4]);
        expect(await store.readAll({ names: ['never'] })).toEqual([]);
      });

      it('filtered by names pages with after and limit', async () => {
        const store = await open();
        for (let round = 0; round < 10; round++) {
          await store.appendToStream(`s${round % 2}`, [
            { name: 'wanted', data: round * 2 },
            { name: 'noise' },
            { name: 'also_wanted', data: round * 2 + 1 },
          ]);
        }
        const seen: unknown[] = [];
        let after = 0;
        for (;;) {
          const page = await store.readAll({ after, limit: 3, names: ['wanted', 'also_wanted', 'wanted'] });
          if (page.length === 0) break;
          seen.push(...page.map((event) => event.data));
          after = page[page.length - 1]?.position as number;
        }
        expect(seen).toEqual(range(0, 19));
      });

      it('with an empty names list matches no event', async () => {
        const store = await open();
        await store.appendToStream('s', events(3));
        expect(await store.readAll({ names: [] })).toEqual([]);
      });

      it('refuses paging options that are not whole numbers, or names that are not a list, with UsageError', async () => {
        const store = await open();
        for (const options of [{ after: 1.5 }, { limit: Number.NaN }, { names: 'opened' }, { names: [1] }]) {
          expect(await rejectionOf(store.readAll(options as never))).toBeInstanceOf(UsageError);
        }
      });
    });

    describe('listing streams', () => {
      it('lists streams in id order with their versions', async () => {
        const store = await open();
        await store.appendToStream('charlie', events(3));
        await store.appendToStream('alpha', events(1));
        await store.appendToStream('bravo', events(2));
        await store.appendToStream('alpha', events(1));
        expect(await store.listStreams()).toEqual([
          { stream: 'alpha', version: 2 },
          { stream: 'bravo', version: 2 },
          { stream: 'charlie', version: 3 },
        ]);
      });

      it('orders ids by Unicode code point, the order of their UTF-8 bytes', async () => {
        const store = await open();
        // U+FF5E sorts before U+1F600 by code point, but after it by UTF-16 unit.
        const ids = ['b', 'a', 'B', 'é', 'z', '😀', '～', 'a-1', 'a1', 'A'];
        for (const id of ids) await store.appendToStream(id, events(1));
        expect((await store.listStreams()).map((info) => info.stream)).toEqual([
          'A',
          'B',
          'a',
          'a-1',
          'a1',
          'b',
          'z',
          'é',
          '～',
          '😀',
        ]);
      });

      it('pages with after and limit', async () => {
        const store = await open();
        for (const id of ['e', 'a', 'd', 'b', 'c']) await store.appendToStream(id, events(1));
        const ids = async (options: Parameters<EventStore['listStreams']>[0]) =>
          (await store.listStreams(options)).map((info) => info.stream);
        expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
        expect(await ids({ after: 'b', limit: 2 })).toEqual(['c', 'd']);
        expect(await ids({ after: 'd' })).toEqual(['e']);
        expect(await ids({ after: 'bb' })).toEqual(['c', 'd', 'e']);
        expect(await ids({ after: 'e' })).toEqual([]);
        expect(await ids({ limit: 0 })).toEqual([]);
      });

      it('returns at most 1000 streams when no limit is given', async () => {
        const store = await open();
        for (let index = 0; index < 1003; index++) {
          await store.appendToStream(`s-${String(index).padStart(4, '0')}`, events(1));
        }
        const first = await store.listStreams();
        expect(first).toHaveLength(1000);
        expect(await store.listStreams({ after: first[999]?.stream as string })).toHaveLength(3);
      });

      it('selects with prefix the streams whose id starts with it, taken literally', async () => {
        const store = await open();
        const ids = [
          'user-1',
          'user-2',
          'user',
          'users',
          'User-3',
          'order-1',
          'a_%',
          'ab%',
          'a_%b',
          'a%',
          'é1',
          'é2',
          'f',
        ];
        for (const id of ids) await store.appendToStream(id, events(1));
        const withPrefix = async (prefix: string, more: Parameters<EventStore['listStreams']>[0] = {}) =>
          (await store.listStreams({ prefix, ...more })).map((info) => info.stream);
        expect(await withPrefix('user-')).toEqual(['user-1', 'user-2']);
        expect(await withPrefix('user')).toEqual(['user', 'user-1', 'user-2', 'users']);
        expect(await withPrefix('a_%')).toEqual(['a_%', 'a_%b']);
        expect(await withPrefix('a%')).toEqual(['a%']);
        expect(await withPrefix('é')).toEqual(['é1', 'é2']);
        expect(await withPrefix('nobody')).toEqual([]);
        expect(await withPrefix('user', { after: 'user-1', limit: 2 })).toEqual(['user-2', 'users']);
        expect(await withPrefix('')).toHaveLength(ids.length);
      });

      it('refuses a limit that is not a whole number, or an after or prefix that is not a string, with UsageError', async () => {
        const store = await open();
        for (const options of [{ limit: 2.5 }, { after: 3 }, { prefix: ['a'] }]) {
          expect(await rejectionOf(store.listStreams(options as never))).toBeInstanceOf(UsageError);
        }
      });
    });

    describe('the envelope', () => {
      it('gives each event a UUID, an ISO-8601 time, its stream, name, version and position', async () => {
        const store = await open();
        const before = Date.now();
        const { events: stored } = await store.appendToStream('s', [{ name: 'one' }, { name: 'two' }]);
        const after = Date.now();
        for (const event of [...stored, ...(await store.readStream('s'))]) {
          expect(Object.keys(event).sort()).toEqual(
            ['at', 'data', 'id', 'meta', 'name', 'position', 'stream', 'version'].sort(),
          );
          expect(event.id).toMatch(UUID);
          expect(event.at).toMatch(ISO_8601);
          expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before);
          expect(Date.parse(event.at)).toBeLessThanOrEqual(after);
          expect(event.stream).toBe('s');
          expect(Number.isSafeInteger(event.position)).toBe(true);
          expect(event.meta).toEqual({});
        }
        expect(stored.map((event) => event.name)).toEqual(['one', 'two']);
        expect(new Set(stored.map((event) => event.id)).size).toBe(2);
      });

      it('keeps an id and a time given by the writer, as ISO-8601 in UTC', async () => {
        const store = await open();
        await store.appendToStream('s', [
          { id: 'order-1/placed', name: 'placed', at: new Date(Date.UTC(2024, 1, 29, 12, 30)) },
          { id: 'order-1/paid', name: 'paid', at: '2024-03-01T10:00:00+02:00' },
        ]);
        const read = await store.readStream('s');
        expect(read.map((event) => [event.id, event.at])).toEqual([
          ['order-1/placed', '2024-02-29T12:30:00.000Z'],
          ['order-1/paid', '2024-03-01T08:00:00.000Z'],
        ]);
      });

      it("stamps events appended without a time with the store's clock", async () => {
        const store = await open({ now: () => new Date('2030-01-02T03:04:05.678Z') });
        const { events: stored } = await store.appendToStream('s', events(2));
        expect(stored.map((event) => event.at)).toEqual([
          '2030-01-02T03:04:05.678Z',
          '2030-01-02T03:04:05.678Z',
        ]);
        expect((await store.readAll()).map((event) => event.at)).toEqual(stored.map((event) => event.at));
      });

      it('round-trips meta', async () => {
        const store = await open();
        const meta = {
          actor: 'User',
          causationId: 'command-9',
          correlationId: 'flow-1',
          custom: { attempt: 2, tags: ['a', 'b'], note: null },
        };
        await store.appendToStream('s', [{ name: 'happened', meta }]);
        expect((await store.readStream('s'))[0]?.meta).toEqual(meta);
        expect((await store.readAll())[0]?.meta).toEqual(meta);
      });

      it('round-trips data: unicode, nesting, numbers, booleans, null and empty values', async () => {
        const store = await open();
        const values: unknown[] = [
          {
            text: 'héllo wörld — ünïcödé ✓ 日本語 עברית 👩‍💻 𝔘',
            quotes: `it's "quoted" \`back\` \\ slash`,
            escapes: 'tab\tnew\nline\r\u0000nul\u2028',
            numbers: [0, -1, 1.5, 1e21, -2.5e-7, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE],
            flags: [true, false],
            nothing: null,
            empty: { object: {}, array: [], string: '' },
            nested: { a: { b: { c: { d: [[1, [2, [3, { e: 'deep' }]]]] } } } },
          },
          'a bare string',
          42,
          true,
          null,
          [],
          [1, 'two', { three: 3 }],
        ];
        await store.appendToStream(
          's',
          values.map((data) => ({ name: 'value', data })),
        );
        expect((await store.readStream('s')).map((event) => event.data)).toEqual(values);
      });

      it('reads a Date in data back as its ISO-8601 string', async () => {
        const store = await open();
        const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
        const { events: stored } = await store.appendToStream('s', [
          { name: 'scheduled', data: { when, dates: [when] } },
        ]);
        const expected = { when: '2024-01-02T03:04:05.006Z', dates: ['2024-01-02T03:04:05.006Z'] };
        expect(stored[0]?.data).toEqual(expected);
        expect((await store.readStream('s'))[0]?.data).toEqual(expected);
      });

      it('omits object properties whose value is undefined, as JSON does', async () => {
        const store = await open();
        await store.appendToStream('s', [{ name: 'happened', data: { kept: 1, dropped: undefined } }]);
        expect((await store.readStream('s'))[0]?.data).toStrictEqual({ kept: 1 });
      });

      it('stores objects with a null prototype as plain objects', async () => {
        const store = await open();
        const data = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
        await store.appendToStream('s', [{ name: 'happened', data }]);
        expect((await store.readStream('s'))[0]?.data).toEqual({ a: 1 });
      });

      it('stores a data key named __proto__ as data, without changing any prototype', async () => {
        const store = await open();
        const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;
        await store.appendToStream('s', [{ name: 'happened', data }]);
        const read = (await store.readStream('s'))[0]?.data as Record<string, unknown>;
        expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
        expect(Object.prototype.hasOwnProperty.call(read, '__proto__')).toBe(true);
        expect(read.ok).toBe(1);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    });

    describe('JSON safety', () => {
      const refusedData: [string, () => unknown, string][] = [
        ['a function', () => ({ f: () => 1 }), 'events[0].data.f'],
        ['a symbol', () => ({ s: Symbol('s') }), 'events[0].data.s'],
        ['a symbol key', () => ({ [Symbol('key')]: 1 }), 'events[0].data'],
        ['a BigInt', () => ({ big: 10n }), 'events[0].data.big'],
        ['NaN', () => ({ n: Number.NaN }), 'events[0].data.n'],
        ['Infinity', () => ({ n: Infinity }), 'events[0].data.n'],
        ['-Infinity', () => [1, -Infinity], 'events[0].data[1]'],
        ['undefined in an array', () => ({ list: [1, undefined] }), 'events[0].data.list[1]'],
        // eslint-disable-next-line no-sparse-arrays
        ['a hole in an array', () => ({ list: [1, , 3] }), 'events[0].data.list[1]'],
        [
          'a cycle',
          () => {
            const node: Record<string, unknown> = { name: 'loop' };
            node.self = node;
            return node;
          },
          'events[0].data.self',
        ],
        ['an invalid Date', () => ({ at: new Date('not a date') }), 'events[0].data.at'],
        ['a Map', () => ({ m: new Map([[1, 2]]) }), 'events[0].data.m'],
        ['a Set', () => ({ s: new Set([1]) }), 'events[0].data.s'],
        ['a RegExp', () => ({ r: /x/ }), 'events[0].data.r'],
        ['a Buffer', () => ({ b: Buffer.from('x') }), 'events[0].data.b'],
        ['a typed array', () => ({ t: new Uint8Array(2) }), 'events[0].data.t'],
        ['a class instance', () => ({ p: new Point(1, 2) }), 'events[0].data.p'],
        ['a boxed number', () => ({ n: Object(1) as unknown }), 'events[0].data.n'],
        ['a boxed string', () => ({ s: Object('s') as unknown }), 'events[0].data.s'],
        [
          'a bad value under a key that is not an identifier',
          () => ({ 'a b': { c: Symbol('x') } }),
          'events[0].data["a b"].c',
        ],
        ['a bad value deep in arrays', () => [[0, [1, () => 2]]], 'events[0].data[0][1][1]'],
        ['a function as the whole data', () => () => 1, 'events[0].data'],
      ];

      for (const [what, data, path] of refusedData) {
        it(`refuses data holding ${what}, at ${path}, and stores nothing`, async () => {
          await expectRefused((store) => store.appendToStream('s', [{ name: 'bad', data: data() }]), path);
        });
      }

      it('refuses meta that is not JSON-safe, at its path, and stores nothing', async () => {
        await expectRefused(
          (store) => store.appendToStream('s', [{ name: 'bad', meta: { attempt: Number.NaN } }]),
          'events[0].meta.attempt',
        );
        await expectRefused(
          (store) => store.appendToStream('s', [{ name: 'bad', meta: { nested: { f: () => 1 } } as never }]),
          'events[0].meta.nested.f',
        );
      });

      it('refuses meta that is not a plain object', async () => {
        for (const meta of [['actor'], 'actor', 42, new Point(1, 2)]) {
          await expectRefused(
            (store) => store.appendToStream('s', [{ name: 'bad', meta: meta as never }]),
            'events[0].meta',
          );
        }
      });

      it('names the index of the refused event in a batch', async () => {
        await expectRefused(
          (store) =>
            store.appendToStream('s', [
              { name: 'fine', data: 1 },
              { name: 'fine', data: 2 },
              { name: 'bad', data: { x: 10n } },
            ]),
          'events[2].data.x',
        );
      });

      it('refuses data over the store limit, measured in UTF-8 bytes of JSON', async () => {
        const store = await open({ maxEventBytes: 100 });
        expect(store.limits.maxEventBytes).toBe(100);
        // JSON.stringify('x'.repeat(98)) is 100 bytes: exactly at the limit.
        await store.appendToStream('s', [{ name: 'fits', data: 'x'.repeat(98) }]);
        const tooBig = await rejectionOf(
          store.appendToStream('s', [{ name: 'too_big', data: 'x'.repeat(99) }]),
        );
        expect(tooBig).toBeInstanceOf(InvalidEventError);
        expect(tooBig).toMatchObject({ path: 'events[0].data' });
        // 49 two-byte characters: 100 bytes, though only 51 characters.
        await store.appendToStream('s', [{ name: 'fits', data: 'é'.repeat(49) }]);
        const multiByte = await rejectionOf(
          store.appendToStream('s', [{ name: 'too_big', data: 'é'.repeat(50) }]),
        );
        expect(multiByte).toMatchObject({ path: 'events[0].data' });
        const bigMeta = await rejectionOf(
          store.appendToStream('s', [{ name: 'too_big', meta: { note: 'x'.repeat(200) } }]),
        );
        expect(bigMeta).toMatchObject({ path: 'events[0].meta' });
        expect(await store.streamVersion('s')).toBe(2);
      });

      it('has a default limit of 1 MiB', async () => {
        const store = await open();
        expect(store.limits.maxEventBytes).toBe(1024 * 1024);
        const error = await rejectionOf(
          store.appendToStream('s', [{ name: 'huge', data: 'x'.repeat(1024 * 1024) }]),
        );
        expect(error).toMatchObject({ path: 'events[0].data' });
      });
    });

    describe('names, stream ids and event ids', () => {
      it('accepts the event names the name rules allow', async () => {
        const store = await open();
        const names = ['a', '_private', 'Order.Placed:v2-final', 'x'.repeat(128)];
        await store.appendToStream(
          's',
          names.map((name) => ({ name })),
        );
        expect((await store.readStream('s')).map((event) => event.name)).toEqual(names);
      });

      for (const [name, why] of [
        ['', 'an empty name'],
        ['1abc', 'a name starting with a digit'],
        ['-abc', 'a name starting with a dash'],
        ['has space', 'a name with a space'],
        ['a/b', 'a name with a slash'],
        ["it's", 'a name with a quote'],
        ['drop;table', 'a name with a semicolon'],
        ['été', 'a name with a non-ASCII letter'],
        ['x'.repeat(129), 'a name over 128 characters'],
        [42, 'a name that is not a string'],
        [undefined, 'a missing name'],
      ] as const) {
        it(`refuses ${why} at events[0].name`, async () => {
          await expectRefused((store) => store.appendToStream('s', [{ name } as never]), 'events[0].name');
        });
      }

      it('accepts the stream ids the id rules allow', async () => {
        const store = await open();
        const ids = ['x'.repeat(256), 'ユーザー/𝔘ser 👩‍💻', 'a b', 'tab\u00a0inside'];
        for (const id of ids) await store.appendToStream(id, events(1));
        expect((await store.listStreams()).map((info) => info.stream).sort()).toEqual([...ids].sort());
      });

      for (const [stream, why] of [
        ['', 'an empty stream id'],
        [' padded', 'a stream id starting with white space'],
        ['padded ', 'a stream id ending with white space'],
        ['line\nbreak', 'a stream id with a line break'],
        ['nul\u0000', 'a stream id with a NUL'],
        ['c1\u0085', 'a stream id with a C1 control character'],
        ['sep\u2028', 'a stream id with a line separator'],
        ['x'.repeat(257), 'a stream id over 256 characters'],
        [42, 'a stream id that is not a string'],
      ] as const) {
        it(`refuses ${why} at stream`, async () => {
          await expectRefused((store) => store.appendToStream(stream as never, events(1)), 'stream');
        });
      }

      it('refuses an event id that is empty, too long, not a string or holding a control character', async () => {
        for (const id of ['', 'x'.repeat(129), 7, 'a\u0000b', 'line\nbreak']) {
          await expectRefused(
            (store) => store.appendToStream('s', [{ id, name: 'a' } as never]),
            'events[0].id',
          );
        }
      });

      it('refuses an event id given twice in one append', async () => {
        await expectRefused(
          (store) =>
            store.appendToStream('s', [
              { id: 'same', name: 'a' },
              { id: 'other', name: 'b' },
              { id: 'same', name: 'c' },
            ]),
          'events[2].id',
        );
      });

      it('refuses a time that is not a valid Date or ISO-8601 string, or outside the years 1 to 9999', async () => {
        for (const at of [
          'yesterday',
          new Date(Number.NaN),
          12,
          '0000-01-01T00:00:00.000Z',
          new Date('+010000-01-01T00:00:00.000Z'),
          new Date(-62_198_755_200_000),
        ]) {
          await expectRefused(
            (store) => store.appendToStream('s', [{ name: 'a', at } as never]),
            'events[0].at',
          );
        }
      });

      it('refuses events that are not a list of objects', async () => {
        await expectRefused((store) => store.appendToStream('s', 'events' as never), 'events');
        await expectRefused((store) => store.appendToStream('s', [null] as never), 'events[0]');
        await expectRefused(
          (store) => store.appendToStream('s', [{ name: 'ok' }, 'x'] as never),
          'events[1]',
        );
      });
    });

    describe('text stored verbatim', () => {
      const awkward = [
        "'; DROP TABLE events; --",
        "Robert'); DELETE FROM streams WHERE ('1'='1",
        '" OR ""="',
        'back`tick` and \\ backslash \\\\',
        '%_*?[]{}$1 ${x} :name @p ?1',
        'ユーザー 𝔘ser 👩‍💻 ✓ é',
        "'",
      ];

      it('stores SQL-looking, quoted and unicode stream ids, names, ids and data exactly', async () => {
        const store = await open();
        for (const [index, stream] of awkward.entries()) {
          await store.appendToStream(stream, [
            {
              id: `${stream}#${index}`,
              name: 'drop_table:events',
              data: { stream, echo: [stream] },
              meta: { note: stream },
            },
          ]);
        }
        for (const [index, stream] of awkward.entries()) {
          const [event] = await store.readStream(stream);
          expect(event).toMatchObject({
            id: `${stream}#${index}`,
            stream,
            name: 'drop_table:events',
            data: { stream, echo: [stream] },
            meta: { note: stream },
            version: 1,
          });
          expect(await store.streamVersion(stream)).toBe(1);
          expect(await store.listStreams({ prefix: stream })).toContainEqual({ stream, version: 1 });
        }
        expect((await store.readAll()).map((event) => event.stream)).toEqual(awkward);
        expect((await store.listStreams()).map((info) => info.stream).sort()).toEqual([...awkward].sort());
        expect(await store.readAll({ names: ["drop_table:events' OR '1'='1"] })).toEqual([]);
      });
    });

    describe('concurrency', () => {
      it(`keeps versions 1..N with no gap and no duplicate when ${callers} callers × ${appendsPerCaller} appends race on one stream`, async () => {
        const store = await open();
        await Promise.all(
          range(1, callers).map(async (caller) => {
            for (let append = 1; append <= appendsPerCaller; append++) {
              await store.appendToStream('contended', [{ name: 'counted', data: { caller, append } }]);
            }
          }),
        );
        const stored = await store.readStream('contended');
        const total = callers * appendsPerCaller;
        expect(stored.map((event) => event.version)).toEqual(range(1, total));
        expect(await store.streamVersion('contended')).toBe(total);
        expect(new Set(stored.map((event) => JSON.stringify(event.data))).size).toBe(total);
        for (let caller = 1; caller <= callers; caller++) {
          const own = stored.filter((event) => (event.data as { caller: number }).caller === caller);
          expect(own.map((event) => (event.data as { append: number }).append)).toEqual(
            range(1, appendsPerCaller),
          );
        }
        expectStrictlyIncreasing(stored.map((event) => event.position));
      });

      it('stores each racing batch whole and contiguous', async () => {
        const store = await open();
        await Promise.all(
          range(1, callers).map((caller) =>
            store.appendToStream('batches', [
              { name: 'first', data: caller },
              { name: 'second', data: caller },
              { name: 'third', data: caller },
            ]),
          ),
        );
        const stored = await store.readStream('batches');
        expect(stored).toHaveLength(callers * 3);
        for (let index = 0; index < stored.length; index += 3) {
          const batch = stored.slice(index, index + 3);
          expect(batch.map((event) => event.name)).toEqual(['first', 'second', 'third']);
          expect(new Set(batch.map((event) => event.data)).size).toBe(1);
        }
      });

      it('lets exactly one of many racing appends win when all expect the same version', async () => {
        const store = await open();
        await store.appendToStream('s', events(3));
        const outcomes = await Promise.allSettled(
          range(1, callers).map((caller) =>
            store.appendToStream('s', [{ name: 'claimed', data: caller }], { expectedVersion: 3 }),
          ),
        );
        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(callers - 1);
        for (const error of lost) {
          expect(error).toBeInstanceOf(ConcurrencyError);
          expect(error).toMatchObject({ stream: 's', expected: 3, actual: 4 });
        }
        expect(await store.streamVersion('s')).toBe(4);
      });

      it('gives each version to exactly one writer when racing writers retry with the version they read', async () => {
        const store = await open();
        const writers = Math.min(callers, 10);
        const perWriter = Math.min(appendsPerCaller, 10);
        await Promise.all(
          range(1, writers).map(async (writer) => {
            for (let written = 0; written < perWriter;) {
              const expectedVersion = await store.streamVersion('optimistic');
              try {
                await store.appendToStream('optimistic', [{ name: 'wrote', data: { writer, written } }], {
                  expectedVersion,
                });
                written++;
              } catch (error) {
                if (!(error instanceof ConcurrencyError)) throw error;
              }
            }
          }),
        );
        const stored = await store.readStream('optimistic');
        expect(stored.map((event) => event.version)).toEqual(range(1, writers * perWriter));
        for (let writer = 1; writer <= writers; writer++) {
          const own = stored.filter((event) => (event.data as { writer: number }).writer === writer);
          expect(own.map((event) => (event.data as { written: number }).written)).toEqual(
            range(0, perWriter - 1),
          );
        }
      });

      it('keeps positions strictly increasing when many streams are appended to at once', async () => {
        const store = await open();
        await Promise.all(
          range(1, callers).map(async (caller) => {
            for (let append = 0; append < 5; append++) {
              await store.appendToStream(`stream-${caller % 7}`, events(2, 'happened', append * 2));
            }
          }),
        );
        const all = await readEverything(store);
        expect(all).toHaveLength(callers * 10);
        expectStrictlyIncreasing(all.map((event) => event.position));
        for (const { stream, version } of await store.listStreams()) {
          expect((await store.readStream(stream)).map((event) => event.version)).toEqual(range(1, version));
        }
      });
    });

    describe('retrying an append', () => {
      it('stores events retried with the same ids once, and answers as the first append did', async () => {
        const store = await open();
        const batch: NewEvent[] = [
          { id: 'retry-1', name: 'placed', data: { total: 3 } },
          { id: 'retry-2', name: 'paid', data: { amount: 3 } },
        ];
        const first = await store.appendToStream('order', batch, { expectedVersion: 'no-stream' });
        const retried = await store.appendToStream('order', batch, { expectedVersion: 'no-stream' });
        expect(retried).toEqual(first);
        expect(await store.readStream('order')).toEqual(first.events);
        expect(await store.readAll()).toHaveLength(2);
      });

      it('answers a retry as the first append did even after the stream moved on', async () => {
        const store = await open();
        await store.appendToStream('order', events(1));
        const batch: NewEvent[] = [
          { id: 'moved-1', name: 'placed' },
          { id: 'moved-2', name: 'paid' },
        ];
        const first = await store.appendToStream('order', batch, { expectedVersion: 1 });
        await store.appendToStream('order', events(2));
        const retried = await store.appendToStream('order', batch, { expectedVersion: 1 });
        expect(retried).toEqual(first);
        expect(retried.version).toBe(3);
        expect(await store.streamVersion('order')).toBe(5);
      });

      it('answers a retried single event with its stored version and position', async () => {
        const store = await open();
        const first = await store.appendToStream('s', [{ id: 'only', name: 'happened', data: [1, 2] }]);
        await store.appendToStream('t', events(1));
        expect(await store.appendToStream('s', [{ id: 'only', name: 'happened', data: [1, 2] }])).toEqual(
          first,
        );
      });

      it('refuses an id stored in another stream with DuplicateEventError and stores nothing', async () => {
        const store = await open();
        await store.appendToStream('a', [{ id: 'taken', name: 'happened' }]);
        const error = await rejectionOf(store.appendToStream('b', [{ id: 'taken', name: 'happened' }]));
        expect(error).toBeInstanceOf(DuplicateEventError);
        expect(error).toMatchObject({ code: 'DUPLICATE_EVENT', eventId: 'taken', stream: 'b' });
        expect(await store.streamVersion('b')).toBe(0);
        expect(await store.readAll()).toHaveLength(1);
      });

      it('refuses an id reused for a different event in the same stream', async () => {
        const store = await open();
        await store.appendToStream('a', [{ id: 'taken', name: 'happened', data: 1 }]);
        for (const reuse of [
          { id: 'taken', name: 'happened', data: 2 },
          { id: 'taken', name: 'other', data: 1 },
        ]) {
          const error = await rejectionOf(store.appendToStream('a', [reuse]));
          expect(error).toBeInstanceOf(DuplicateEventError);
          expect(error).toMatchObject({ eventId: 'taken', stream: 'a' });
        }
        expect(await store.streamVersion('a')).toBe(1);
      });

      it('refuses a new batch holding an id already stored, storing none of it', async () => {
        const store = await open();
        await store.appendToStream('a', [{ id: 'taken', name: 'happened' }]);
        const error = await rejectionOf(
          store.appendToStream('a', [
            { id: 'fresh-1', name: 'happened' },
            { id: 'taken', name: 'happened' },
            { id: 'fresh-2', name: 'happened' },
          ]),
        );
        expect(error).toBeInstanceOf(DuplicateEventError);
        expect(error).toMatchObject({ eventId: 'taken', stream: 'a' });
        expect((await store.readAll()).map((event) => event.id)).toEqual(['taken']);
      });

      it('refuses a batch that is not a run of the stored events: longer, or reordered', async () => {
        const store = await open();
        const stored: NewEvent[] = [
          { id: 'x1', name: 'happened' },
          { id: 'x2', name: 'happened' },
        ];
        await store.appendToStream('a', stored);
        for (const batch of [
          [...stored, { id: 'x3', name: 'happened' }],
          [stored[1] as NewEvent, stored[0] as NewEvent],
        ]) {
          const error = await rejectionOf(store.appendToStream('a', batch));
          expect(error).toBeInstanceOf(DuplicateEventError);
          expect(error).toMatchObject({ eventId: batch[0]?.id, stream: 'a' });
        }
        expect((await store.readAll()).map((event) => event.id)).toEqual(['x1', 'x2']);
      });

      it('answers a batch repeating a consecutive run of stored events with those events, as stored', async () => {
        const store = await open();
        const stored = await store.appendToStream('a', [
          { id: 'y1', name: 'happened' },
          { id: 'y2', name: 'happened' },
          { id: 'y3', name: 'happened' },
        ]);
        const tail = await store.appendToStream('a', [
          { id: 'y2', name: 'happened' },
          { id: 'y3', name: 'happened' },
        ]);
        expect(tail).toEqual({ stream: 'a', events: stored.events.slice(1), version: 3 });
        expect(await store.streamVersion('a')).toBe(3);
      });
    });

    describe('isolation', () => {
      it('changing a returned event does not change the store', async () => {
        const store = await open();
        const { events: appended } = await store.appendToStream('s', [
          { name: 'happened', data: { list: [1, 2], nested: { value: 'original' } }, meta: { actor: 'A' } },
        ]);
        const expected = structuredClone(await store.readStream('s'));
        const vandalise = (event: StoredEvent | undefined) => {
          const data = event?.data as { list: number[]; nested: { value: string } };
          tryToChange(() => data.list.push(3));
          tryToChange(() => (data.nested.value = 'changed'));
          tryToChange(() => ((event?.meta as Record<string, unknown>).actor = 'B'));
          tryToChange(() => ((event as { version: number }).version = 99));
        };
        vandalise(appended[0]);
        vandalise((await store.readStream('s'))[0]);
        vandalise((await store.readAll())[0]);
        expect(await store.readStream('s')).toEqual(expected);
        expect(await store.readAll()).toEqual(expected);
      });

      it('changing the appended objects after the append does not change the store', async () => {
        const store = await open();
        const data = { list: [1, 2], nested: { value: 'original' } };
        const meta = { actor: 'A' };
        await store.appendToStream('s', [{ name: 'happened', data, meta }]);
        data.list.push(3);
        data.nested.value = 'changed';
        meta.actor = 'B';
        expect((await store.readStream('s'))[0]).toMatchObject({
          data: { list: [1, 2], nested: { value: 'original' } },
          meta: { actor: 'A' },
        });
      });
    });

    describe('closing', () => {
      it('makes every later call reject with StoreUnavailableError', async () => {
        const store = await open();
        await store.appendToStream('s', events(1));
        await store.close();
        const calls: [string, () => Promise<unknown>][] = [
          ['appendToStream', () => store.appendToStream('s', events(1))],
          ['readStream', () => store.readStream('s')],
          ['readAll', () => store.readAll()],
          ['streamVersion', () => store.streamVersion('s')],
          ['listStreams', () => store.listStreams()],
        ];
        for (const [name, call] of calls) {
          const error = await rejectionOf(call());
          expect(error, name).toBeInstanceOf(StoreUnavailableError);
          expect(error, name).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        }
      });

      it('rejects rather than throws when called after close', async () => {
        const store = await open();
        await store.close();
        let promise: Promise<unknown> | undefined;
        expect(() => {
          promise = store.readAll();
        }).not.toThrow();
        expect(await rejectionOf(promise as Promise<unknown>)).toBeInstanceOf(StoreUnavailableError);
      });

      it('is harmless to close twice', async () => {
        const store = await open();
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describeEngineDuties(open);
  });
}
