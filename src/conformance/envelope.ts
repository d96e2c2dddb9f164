/**
 * Conformance: the envelope every stored event carries (id, time, stream, name, version, position,
 * meta), and data read back as the JSON value it was stored as.
 */
import assert from 'node:assert/strict';
import { UsageError } from '../errors.js';
import { assertInstanceOf, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events, unstorableClocks } from './sample-events.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function describeEnvelope(specs: Specs): void {
  specs.describe('the envelope', () => {
    describeEnvelopeFields(specs);
    describeDataRoundTrips(specs);
  });
}

function describeEnvelopeFields({ it }: Specs): void {
  it('gives each event a UUID, an ISO-8601 time, its stream, name, version and position', async (open) => {
    const store = await open();
    const before = Date.now();
    const { events: stored } = await store.appendToStream('s', [{ name: 'one' }, { name: 'two' }]);
    const after = Date.now();
    for (const event of [...stored, ...(await store.readStream('s'))]) {
      assert.deepStrictEqual(
        Object.keys(event).sort(),
        ['at', 'data', 'id', 'meta', 'name', 'position', 'stream', 'version'].sort(),
      );
      assert.match(event.id, UUID);
      assert.match(event.at, ISO_8601);
      assert.ok(Date.parse(event.at) >= before, `${event.at} is before the append`);
      assert.ok(Date.parse(event.at) <= after, `${event.at} is after the append`);
      assert.equal(event.stream, 's');
      assert.equal(Number.isSafeInteger(event.position), true);
      assert.deepStrictEqual(event.meta, {});
    }
    assert.deepStrictEqual(
      stored.map((event) => event.name),
      ['one', 'two'],
    );
    assert.equal(new Set(stored.map((event) => event.id)).size, 2);
  });

  it('keeps an id and a time given by the writer, as ISO-8601 in UTC', async (open) => {
    const store = await open();
    await store.appendToStream('s', [
      { id: 'order-1/placed', name: 'placed', at: new Date(Date.UTC(2024, 1, 29, 12, 30)) },
      { id: 'order-1/paid', name: 'paid', at: '2024-03-01T10:00:00+02:00' },
    ]);
    const read = await store.readStream('s');
    assert.deepStrictEqual(
      read.map((event) => [event.id, event.at]),
      [
        ['order-1/placed', '2024-02-29T12:30:00.000Z'],
        ['order-1/paid', '2024-03-01T08:00:00.000Z'],
      ],
    );
  });

  it("stamps events appended without a time with the store's clock", async (open) => {
    const store = await open({ now: () => new Date('2030-01-02T03:04:05.678Z') });
    const { events: stored } = await store.appendToStream('s', events(2));
    assert.deepStrictEqual(
      stored.map((event) => event.at),
      ['2030-01-02T03:04:05.678Z', '2030-01-02T03:04:05.678Z'],
    );
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.at),
      stored.map((event) => event.at),
    );
  });

  it('refuses, with UsageError naming now, an append timed by a clock that gives no storable time', async (open) => {
    for (const now of unstorableClocks) {
      const store = await open({ now: now as () => Date });
      const error = await rejectionOf(store.appendToStream('s', events(1)));
      assertInstanceOf(error, UsageError);
      assert.match((error as Error).message, /\bnow\b/);
      assert.deepStrictEqual(await store.readAll(), []);
    }
  });

  it('round-trips meta', async (open) => {
    const store = await open();
    const meta = {
      actor: 'User',
      causationId: 'command-9',
      correlationId: 'flow-1',
      custom: { attempt: 2, tags: ['a', 'b'], note: null },
    };
    await store.appendToStream('s', [{ name: 'happened', meta }]);
    assert.deepStrictEqual((await store.readStream('s'))[0]?.meta, meta);
    assert.deepStrictEqual((await store.readAll())[0]?.meta, meta);
  });
}

function describeDataRoundTrips({ it }: Specs): void {
  it('round-trips data: unicode, nesting, numbers, booleans, null and empty values', async (open) => {
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
    assert.deepStrictEqual(
      (await store.readStream('s')).map((event) => event.data),
      values,
    );
  });

  it('reads a Date in data back as its ISO-8601 string', async (open) => {
    const store = await open();
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    const { events: stored } = await store.appendToStream('s', [
      { name: 'scheduled', data: { when, dates: [when] } },
    ]);
    const expected = { when: '2024-01-02T03:04:05.006Z', dates: ['2024-01-02T03:04:05.006Z'] };
    assert.deepStrictEqual(stored[0]?.data, expected);
    assert.deepStrictEqual((await store.readStream('s'))[0]?.data, expected);
  });

  it('omits object properties whose value is undefined, as JSON does', async (open) => {
    const store = await open();
    await store.appendToStream('s', [{ name: 'happened', data: { kept: 1, dropped: undefined } }]);
    assert.deepStrictEqual((await store.readStream('s'))[0]?.data, { kept: 1 });
  });

  it('stores objects with a null prototype as plain objects', async (open) => {
    const store = await open();
    const data = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    await store.appendToStream('s', [{ name: 'happened', data }]);
    assert.deepStrictEqual((await store.readStream('s'))[0]?.data, { a: 1 });
  });

  it('stores a data key named __proto__ as data, without changing any prototype', async (open) => {
    const store = await open();
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;
    await store.appendToStream('s', [{ name: 'happened', data }]);
    const read = (await store.readStream('s'))[0]?.data as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(read), Object.prototype);
    assert.equal(Object.prototype.hasOwnProperty.call(read, '__proto__'), true);
    assert.equal(read.ok, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
}
