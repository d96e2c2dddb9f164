/**
 * Conformance: the rules for event names, stream ids, event ids and times, and text that reaches
 * the store verbatim, however much it looks like SQL or a pattern.
 */
import assert from 'node:assert/strict';
import { assertContainsEqual, assertMatches, assertRefused } from './assertions.js';
import type { Specs } from './runner.js';
import { events } from './sample-events.js';

const refusedNames = [
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
] as const;

const refusedStreamIds = [
  ['', 'an empty stream id'],
  [' padded', 'a stream id starting with white space'],
  ['padded ', 'a stream id ending with white space'],
  ['line\nbreak', 'a stream id with a line break'],
  ['nul\u0000', 'a stream id with a NUL'],
  ['c1\u0085', 'a stream id with a C1 control character'],
  ['sep\u2028', 'a stream id with a line separator'],
  ['x'.repeat(257), 'a stream id over 256 characters'],
  [42, 'a stream id that is not a string'],
] as const;

/** Stream ids, names, ids and data that a store building queries by hand would get wrong. */
const awkward = [
  "'; DROP TABLE events; --",
  "Robert'); DELETE FROM streams WHERE ('1'='1",
  '" OR ""="',
  'back`tick` and \\ backslash \\\\',
  '%_*?[]{}$1 ${x} :name @p ?1',
  'ユーザー 𝔘ser 👩‍💻 ✓ é',
  "'",
];

export function describeNames(specs: Specs): void {
  specs.describe('names, stream ids and event ids', () => {
    describeNamesAndStreamIds(specs);
    describeEventIdsAndTimes(specs);
  });
  specs.describe('text stored verbatim', () => describeVerbatimText(specs));
}

function describeNamesAndStreamIds({ it }: Specs): void {
  it('accepts the event names the name rules allow', async (open) => {
    const store = await open();
    const names = ['a', '_private', 'Order.Placed:v2-final', 'x'.repeat(128)];
    await store.appendToStream(
      's',
      names.map((name) => ({ name })),
    );
    assert.deepStrictEqual(
      (await store.readStream('s')).map((event) => event.name),
      names,
    );
  });

  for (const [name, why] of refusedNames) {
    it(`refuses ${why} at events[0].name`, async (open) => {
      await assertRefused(open, (store) => store.appendToStream('s', [{ name } as never]), 'events[0].name');
    });
  }

  it('accepts the stream ids the id rules allow', async (open) => {
    const store = await open();
    const ids = ['x'.repeat(256), 'ユーザー/𝔘ser 👩‍💻', 'a b', 'tab\u00a0inside'];
    for (const id of ids) await store.appendToStream(id, events(1));
    assert.deepStrictEqual((await store.listStreams()).map((info) => info.stream).sort(), [...ids].sort());
  });

  for (const [stream, why] of refusedStreamIds) {
    it(`refuses ${why} at stream`, async (open) => {
      await assertRefused(open, (store) => store.appendToStream(stream as never, events(1)), 'stream');
    });
  }
}

function describeEventIdsAndTimes({ it }: Specs): void {
  it('refuses an event id that is empty, too long, not a string or holding a control character', async (open) => {
    for (const id of ['', 'x'.repeat(129), 7, 'a\u0000b', 'line\nbreak']) {
      await assertRefused(
        open,
        (store) => store.appendToStream('s', [{ id, name: 'a' } as never]),
        'events[0].id',
      );
    }
  });

  it('refuses an event id given twice in one append', async (open) => {
    await assertRefused(
      open,
      (store) =>
        store.appendToStream('s', [
          { id: 'same', name: 'a' },
          { id: 'other', name: 'b' },
          { id: 'same', name: 'c' },
        ]),
      'events[2].id',
    );
  });

  it('refuses a time that is not a valid Date or ISO-8601 string, or outside the years 1 to 9999', async (open) => {
    for (const at of [
      'yesterday',
      new Date(Number.NaN),
      12,
      '0000-01-01T00:00:00.000Z',
      new Date('+010000-01-01T00:00:00.000Z'),
      new Date(-62_198_755_200_000),
    ]) {
      await assertRefused(
        open,
        (store) => store.appendToStream('s', [{ name: 'a', at } as never]),
        'events[0].at',
      );
    }
  });

  it('refuses events that are not a list of objects', async (open) => {
    await assertRefused(open, (store) => store.appendToStream('s', 'events' as never), 'events');
    await assertRefused(open, (store) => store.appendToStream('s', [null] as never), 'events[0]');
    await assertRefused(
      open,
      (store) => store.appendToStream('s', [{ name: 'ok' }, 'x'] as never),
      'events[1]',
    );
  });
}

function describeVerbatimText({ it }: Specs): void {
  it('stores SQL-looking, quoted and unicode stream ids, names, ids and data exactly', async (open) => {
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
      assertMatches(event, {
        id: `${stream}#${index}`,
        stream,
        name: 'drop_table:events',
        data: { stream, echo: [stream] },
        meta: { note: stream },
        version: 1,
      });
      assert.equal(await store.streamVersion(stream), 1);
      assertContainsEqual(await store.listStreams({ prefix: stream }), { stream, version: 1 });
    }
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.stream),
      awkward,
    );
    assert.deepStrictEqual(
      (await store.listStreams()).map((info) => info.stream).sort(),
      [...awkward].sort(),
    );
    assert.deepStrictEqual(await store.readAll({ names: ["drop_table:events' OR '1'='1"] }), []);
  });
}
