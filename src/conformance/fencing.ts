/**
 * Conformance: fencing terms. A stream remembers the highest term it accepted and refuses a lower
 * one with `FencedError`, storing nothing, so a deposed leader cannot write after its successor.
 * An append of no events with a term raises the stream's term too, so a new leader can fence a
 * stream before it reads it, even a stream with no events, which stays unlisted at version 0.
 */
import assert from 'node:assert/strict';
import { ConcurrencyError, FencedError, InvalidEventError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';

export function describeFencing(specs: Specs): void {
  specs.describe('fencing terms', () => {
    describeTerms(specs);
    describeTermChecks(specs);
    describeFencesOfNoEvents(specs);
  });
}

function describeTerms({ it }: Specs): void {
  it('refuses an append with a lower term than one that already wrote, and stores nothing', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'ruled' }], { fencingTerm: 2 });
    const error = await rejectionOf(store.appendToStream('leader', [{ name: 'stale' }], { fencingTerm: 1 }));
    assertInstanceOf(error, FencedError);
    assertMatches(error, { code: 'FENCED', stream: 'leader', term: 1, currentTerm: 2 });
    assert.deepStrictEqual(
      (await store.readStream('leader')).map((event) => event.name),
      ['ruled'],
    );
  });

  it('remembers the highest term that wrote, and accepts the same or a higher one', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 1 });
    await store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 1 });
    await store.appendToStream('leader', [{ name: 'c' }], { fencingTerm: 5 });
    await assert.rejects(store.appendToStream('leader', [{ name: 'd' }], { fencingTerm: 4 }), FencedError);
    await store.appendToStream('leader', [{ name: 'e' }], { fencingTerm: 5 });
    assert.equal(await store.streamVersion('leader'), 4);
  });

  it('leaves the term alone for appends without one, which are never fenced', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 3 });
    await store.appendToStream('leader', [{ name: 'b' }]);
    await assert.rejects(store.appendToStream('leader', [{ name: 'c' }], { fencingTerm: 2 }), FencedError);
    await store.appendToStream('leader', [{ name: 'd' }], { fencingTerm: 3 });
  });

  it('fences each stream on its own', async (open) => {
    const store = await open();
    await store.appendToStream('one', [{ name: 'a' }], { fencingTerm: 9 });
    await store.appendToStream('two', [{ name: 'a' }], { fencingTerm: 1 });
    assert.equal(await store.streamVersion('two'), 1);
  });
}

function describeTermChecks({ it }: Specs): void {
  it('checks the fence before the expected version', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
    await assert.rejects(
      store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 1, expectedVersion: 0 }),
      FencedError,
    );
  });

  it('refuses a term that is not a whole number >= 1 with InvalidEventError', async (open) => {
    const store = await open();
    for (const term of [0, -1, 1.5, Number.NaN, '2', 1n, Object.create(null)]) {
      const error = await rejectionOf(
        store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: term as never }),
      );
      assertInstanceOf(error, InvalidEventError);
      assertMatches(error, { path: 'fencingTerm' });
    }
    assert.equal(await store.streamVersion('leader'), 0);
  });
}

function describeFencesOfNoEvents({ it }: Specs): void {
  it('fences a stream with no events by an append of none, so a lower term stores nothing', async (open) => {
    const store = await open();
    assert.deepStrictEqual(await store.appendToStream('leader', [], { fencingTerm: 2 }), {
      stream: 'leader',
      events: [],
      version: 0,
    });
    const error = await rejectionOf(store.appendToStream('leader', [{ name: 'stale' }], { fencingTerm: 1 }));
    assertInstanceOf(error, FencedError);
    assertMatches(error, { code: 'FENCED', stream: 'leader', term: 1, currentTerm: 2 });
    assert.deepStrictEqual(await store.readStream('leader'), []);
    assert.deepStrictEqual(await store.readAll(), []);
    assert.equal(await store.streamVersion('leader'), 0);
    await store.appendToStream('leader', [{ name: 'ruled' }], { fencingTerm: 2 });
    await store.appendToStream('leader', [{ name: 'ruled-again' }], { fencingTerm: 3 });
    assert.deepStrictEqual(
      (await store.readStream('leader')).map((event) => [event.name, event.version]),
      [
        ['ruled', 1],
        ['ruled-again', 2],
      ],
    );
    await assert.rejects(
      store.appendToStream('leader', [{ name: 'stale' }], { fencingTerm: 2 }),
      FencedError,
    );
  });

  it('leaves a stream fenced before its first event out of every list and read', async (open) => {
    const store = await open();
    await store.appendToStream('a-fenced', [], { fencingTerm: 2 });
    await store.appendToStream('b-written', [{ name: 'happened' }]);
    assert.deepStrictEqual(await store.listStreams(), [{ stream: 'b-written', version: 1 }]);
    assert.deepStrictEqual(await store.listStreams({ limit: 1 }), [{ stream: 'b-written', version: 1 }]);
    assert.deepStrictEqual(await store.listStreams({ prefix: 'a-' }), []);
    assert.equal(await store.streamVersion('a-fenced'), 0);
    assert.deepStrictEqual(await store.readStream('a-fenced'), []);
    assert.deepStrictEqual(
      (await store.readAll()).map((event) => event.stream),
      ['b-written'],
    );
    // Still a stream with no events to the expected-version check.
    await assert.rejects(
      store.appendToStream('a-fenced', [{ name: 'x' }], { expectedVersion: 'exists', fencingTerm: 2 }),
      ConcurrencyError,
    );
    await store.appendToStream('a-fenced', [{ name: 'first' }], {
      expectedVersion: 'no-stream',
      fencingTerm: 2,
    });
    assert.deepStrictEqual(await store.listStreams({ prefix: 'a-' }), [{ stream: 'a-fenced', version: 1 }]);
  });

  it("refuses an append of none with a lower term than the stream's, and keeps a higher one", async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
    const error = await rejectionOf(store.appendToStream('leader', [], { fencingTerm: 1 }));
    assertInstanceOf(error, FencedError);
    assertMatches(error, { stream: 'leader', term: 1, currentTerm: 2 });
    assert.deepStrictEqual(await store.appendToStream('leader', [], { fencingTerm: 7 }), {
      stream: 'leader',
      events: [],
      version: 1,
    });
    await assert.rejects(store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 3 }), FencedError);
    await assert.rejects(store.appendToStream('leader', [], { fencingTerm: 6 }), FencedError);
    await store.appendToStream('leader', [{ name: 'c' }], { fencingTerm: 7 });
    assert.equal(await store.streamVersion('leader'), 2);
  });

  it('fences appends made at the same moment in the order they were made', async (open) => {
    const store = await open();
    // PostgreSQL sends these as one group: the fences of no events act within it, in order.
    const answers = await Promise.allSettled([
      store.appendToStream('one', [{ name: 'a' }], { fencingTerm: 4 }),
      store.appendToStream('one', [], { fencingTerm: 5 }),
      store.appendToStream('one', [{ name: 'stale' }], { fencingTerm: 4 }),
      store.appendToStream('two', [], { fencingTerm: 5 }),
      store.appendToStream('two', [{ name: 'stale' }], { fencingTerm: 4 }),
      store.appendToStream('two', [{ name: 'b' }], { fencingTerm: 5 }),
    ]);
    assert.deepStrictEqual(
      answers.map((answer) => answer.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    for (const answer of answers) {
      if (answer.status === 'rejected') assertInstanceOf(answer.reason, FencedError);
    }
    await assert.rejects(store.appendToStream('one', [{ name: 'stale' }], { fencingTerm: 4 }), FencedError);
    await assert.rejects(store.appendToStream('two', [], { fencingTerm: 4 }), FencedError);
    assert.deepStrictEqual(await store.listStreams(), [
      { stream: 'one', version: 1 },
      { stream: 'two', version: 1 },
    ]);
  });

  it('keeps no term from an append of none that the expected version refuses', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
    await assert.rejects(
      store.appendToStream('leader', [], { fencingTerm: 9, expectedVersion: 5 }),
      ConcurrencyError,
    );
    await assert.rejects(
      store.appendToStream('fresh', [], { fencingTerm: 9, expectedVersion: 'exists' }),
      ConcurrencyError,
    );
    await store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 2 });
    await store.appendToStream('fresh', [{ name: 'a' }], { fencingTerm: 1 });
    assert.equal(await store.streamVersion('leader'), 2);
  });
}
