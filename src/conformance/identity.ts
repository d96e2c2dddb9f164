/** Conformance: a store says which engine it is and what it accepts. */
import assert from 'node:assert/strict';
import type { Specs } from './runner.js';

export function describeIdentity({ it }: Specs): void {
  it('reports its engine name and limits', async (open) => {
    const store = await open();
    assert.equal(typeof store.engine, 'string');
    assert.ok(store.engine.length > 0, 'the engine name is empty');
    assert.equal(Number.isSafeInteger(store.limits.maxEventBytes), true);
  });
}
