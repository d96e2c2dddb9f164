/**
 * Conformance: reading the events of every stream by position, page by page and filtered by name,
 * the way subscriptions and projections follow the store.
 */
import assert from 'node:assert/strict';
import type { StoredEvent } from '../events/envelope.js';
import { UsageError } from '../errors.js';
import { assertInstanceOf, assertStrictlyIncreasing, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { events, range } from './sample-events.js';

export function describeReadingAll(specs: Specs): void {
  specs.describe('reading all events', () => {
    describeOrderAndPaging(specs);
    describeNameFilters(specs);
  });
}

function describeOrderAndPaging({ it }: Specs): void {
  it('returns the events of every stream with positions strictly increasing', async (open) => {
    const store = await open();
    await store.appendToStream('a', events(2));
    await store.appendToStream('b', events(3));
    await store.appendToStream('a', events(1));
    const all = await store.readAll();
    assert.deepStrictEqual(
      all.map((event) => `${event.stream}@${event.version}`),
      ['a@1', 'a@2', 'b@1', 'b@2', 'b@3', 'a@3'],
    );
    assertStrictlyIncreasing(all.map((event) => event.position));
    assert.ok((all[0]?.position as number) > 0, 'the first position is not above 0');
  });

  it('gives each event the same position in an append result, readStream and readAll', async (open) => {
    const store = await open();
    const first = await store.appendToStream('a', events(2));
    const second = await store.appendToStream('b', events(2));
    const appended = [...first.events, ...second.events].map((event) => event.position);
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.position),
      appended,
    );
    assert.deepStrictEqual(
      (await store.readStream('b')).map((event) => event.position),
      appended.slice(2),
    );
  });

  it('pages with after and limit, visiting every event exactly once', async (open) => {
    const store = await open();
    for (let round = 0; round < 7; round++) {
      await store.appendToStream(`s${round % 3}`, events(5, 'happened', round * 5 + 1));
    }
    const pages: StoredEvent[][] = [];
    let after = 0;
    for (;;) {
      const page = await store.readAll({ after, limit: 4 });
      if (page.length === 0) break;
      assert.ok(page.length <= 4, `a page of ${page.length} events, over the limit of 4`);
      pages.push(page);
      after = page[page.length - 1]?.position as number;
    }
    const seen = pages.flat().map((event) => (event.data as { n: number }).n);
    assert.deepStrictEqual(seen, range(1, 35));
    assert.deepStrictEqual(pages.flat(), await store.readAll());
  });

  it('starts after the given position, exclusive', async (open) => {
    const store = await open();
    const { events: stored } = await store.appendToStream('s', events(5));
    const third = stored[2] as StoredEvent;
    const after = await store.readAll({ after: third.position });
    assert.deepStrictEqual(
      after.map((event) => event.version),
      [4, 5],
    );
    assert.deepStrictEqual(await store.readAll({ after: stored[4]?.position as number }), []);
  });

  it('returns at most 1000 events when no limit is given', async (open) => {
    const store = await open();
    await store.appendToStream('big', events(1005));
    const first = await store.readAll();
    assert.equal(first.length, 1000);
    assert.equal((await store.readAll({ after: first[999]?.position as number })).length, 5);
    assert.equal((await store.readAll({ limit: 1005 })).length, 1005);
  });

  it('refuses paging options that are not whole numbers, or names that are not a list, with UsageError', async (open) => {
    const store = await open();
    const unreadable = {
      get limit(): number {
        throw new Error('no limit today');
      },
    };
    for (const options of [
      { after: 1.5 },
      { limit: Number.NaN },
      { names: 'opened' },
      { names: [1] },
      { limit: Object.create(null) },
      { after: 1n },
      unreadable,
    ]) {
      assertInstanceOf(await rejectionOf(store.readAll(options as never)), UsageError);
    }
  });
}

function describeNameFilters({ it }: Specs): void {
  it('filtered by names returns only events with those names, in position order', async (open) => {
    const store = await open();
    await store.appendToStream('a', [{ name: 'opened' }, { name: 'noise' }, { name: 'closed' }]);
    await store.appendToStream('b', [{ name: 'closed' }, { name: 'noise' }, { name: 'opened' }]);
    await store.appendToStream('a', [{ name: 'reopened' }, { name: 'opened' }]);
    const found = await store.readAll({ names: ['opened', 'closed'] });
    assert.deepStrictEqual(
      found.map((event) => `${event.stream}:${event.name}`),
      ['a:opened', 'a:closed', 'b:closed', 'b:opened', 'a:opened'],
    );
    assertStrictlyIncreasing(found.map((event) => event.position));
    assert.deepStrictEqual(
      (await store.readAll({ names: ['reopened'] })).map((event) => event.version),
      [4],
    );
    assert.deepStrictEqual(await store.readAll({ names: ['never'] }), []);
  });

  it('filtered by names pages with after and limit', async (open) => {
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
    assert.deepStrictEqual(seen, range(0, 19));
  });

  it('with an empty names list matches no event', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(3));
    assert.deepStrictEqual(await store.readAll({ names: [] }), []);
  });
}
