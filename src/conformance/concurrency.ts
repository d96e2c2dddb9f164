/**
 * Conformance: appends racing on one stream or on many keep versions dense and unique, batches
 * whole, and positions strictly increasing; of racing conditional appends, exactly one wins.
 */
import assert from 'node:assert/strict';
import { ConcurrencyError } from '../errors.js';
import { assertInstanceOf, assertMatches, assertStrictlyIncreasing } from './assertions.js';
import type { Specs } from './runner.js';
import { events, range, readEverything } from './sample-events.js';

export function describeConcurrency(specs: Specs): void {
  specs.describe('concurrency', () => {
    describeUnconditionalRaces(specs);
    describeConditionalRaces(specs);
  });
}

function describeUnconditionalRaces({ it, concurrentCallers: callers, appendsPerCaller }: Specs): void {
  it(`keeps versions 1..N with no gap and no duplicate when ${callers} callers × ${appendsPerCaller} appends race on one stream`, async (open) => {
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
    assert.deepStrictEqual(
      stored.map((event) => event.version),
      range(1, total),
    );
    assert.equal(await store.streamVersion('contended'), total);
    assert.equal(new Set(stored.map((event) => JSON.stringify(event.data))).size, total);
    for (let caller = 1; caller <= callers; caller++) {
      const own = stored.filter((event) => (event.data as { caller: number }).caller === caller);
      assert.deepStrictEqual(
        own.map((event) => (event.data as { append: number }).append),
        range(1, appendsPerCaller),
      );
    }
    assertStrictlyIncreasing(stored.map((event) => event.position));
  });

  it('stores each racing batch whole and contiguous', async (open) => {
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
    assert.equal(stored.length, callers * 3);
    for (let index = 0; index < stored.length; index += 3) {
      const batch = stored.slice(index, index + 3);
      assert.deepStrictEqual(
        batch.map((event) => event.name),
        ['first', 'second', 'third'],
      );
      assert.equal(new Set(batch.map((event) => event.data)).size, 1);
    }
  });

  it('keeps positions strictly increasing when many streams are appended to at once', async (open) => {
    const store = await open();
    await Promise.all(
      range(1, callers).map(async (caller) => {
        for (let append = 0; append < 5; append++) {
          await store.appendToStream(`stream-${caller % 7}`, events(2, 'happened', append * 2));
        }
      }),
    );
    const all = await readEverything(store);
    assert.equal(all.length, callers * 10);
    assertStrictlyIncreasing(all.map((event) => event.position));
    for (const { stream, version } of await store.listStreams()) {
      assert.deepStrictEqual(
        (await store.readStream(stream)).map((event) => event.version),
        range(1, version),
      );
    }
  });
}

function describeConditionalRaces({ it, concurrentCallers: callers, appendsPerCaller }: Specs): void {
  it('lets exactly one of many racing appends win when all expect the same version', async (open) => {
    const store = await open();
    await store.appendToStream('s', events(3));
    const outcomes = await Promise.allSettled(
      range(1, callers).map((caller) =>
        store.appendToStream('s', [{ name: 'claimed', data: caller }], { expectedVersion: 3 }),
      ),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    assert.equal(won.length, 1);
    assert.equal(lost.length, callers - 1);
    for (const error of lost) {
      assertInstanceOf(error, ConcurrencyError);
      assertMatches(error, { stream: 's', expected: 3, actual: 4 });
    }
    assert.equal(await store.streamVersion('s'), 4);
  });

  it('gives each version to exactly one writer when racing writers retry with the version they read', async (open) => {
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
    assert.deepStrictEqual(
      stored.map((event) => event.version),
      range(1, writers * perWriter),
    );
    for (let writer = 1; writer <= writers; writer++) {
      const own = stored.filter((event) => (event.data as { writer: number }).writer === writer);
      assert.deepStrictEqual(
        own.map((event) => (event.data as { written: number }).written),
        range(0, perWriter - 1),
      );
    }
  });
}
