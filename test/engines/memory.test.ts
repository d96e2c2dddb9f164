/** The memory engine against the conformance suite, and what only it promises. */
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/engines/memory/memory-store.js';
import { UsageError } from '../../src/errors.js';
import { describeEngineConformance } from 'omniscient-actors/conformance';

describeEngineConformance('memory', (options) => memoryStore(options), { describe, it });

describe('the memory engine', () => {
  it("is named 'memory'", () => {
    expect(memoryStore().engine).toBe('memory');
  });

  it('numbers positions 1, 2, 3, … in commit order', async () => {
    const store = memoryStore();
    await store.appendToStream('a', [{ name: 'one' }, { name: 'two' }]);
    await store.appendToStream('b', [{ name: 'three' }]);
    expect((await store.readAll()).map((event) => event.position)).toEqual([1, 2, 3]);
  });

  it('refuses a maxEventBytes that is not a whole number >= 1 with UsageError', () => {
    for (const maxEventBytes of [0, -1, 1.5, Number.NaN, 1n, Object.create(null)]) {
      expect(() => memoryStore({ maxEventBytes })).toThrow(UsageError);
    }
  });
});
