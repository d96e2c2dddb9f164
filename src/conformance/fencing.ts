/**
 * Conformance: fencing terms. A stream remembers the highest term that wrote to it and refuses a
 * lower one with `FencedError`, storing nothing, so a deposed leader cannot write after its successor.
 */
import assert from 'node:assert/strict';
import { FencedError, InvalidEventError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';

export function describeFencing(specs: Specs): void {
  specs.describe('fencing terms', () => {
    describeTerms(specs);
    describeTermChecks(specs);
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

  it('fences an append of no events too, which leaves the term as it is', async (open) => {
    const store = await open();
    await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
    await assert.rejects(store.appendToStream('leader', [], { fencingTerm: 1 }), FencedError);
    assert.deepStrictEqual(await store.appendToStream('leader', [], { fencingTerm: 7 }), {
      stream: 'leader',
      events: [],
      version: 1,
    });
    await store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 3 });
    assert.equal(await store.streamVersion('leader'), 2);
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
