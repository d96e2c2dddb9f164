/**
 * Property: a snapshot only makes `Load()` faster. For random event sequences, random snapshot
 * points (`snapshotEvery`) and random handler versions writing them, `Load()` with snapshots yields
 * the state, version and unhandled count that `Load()` without snapshots yields; and a class whose
 * handler changed never takes the state of another's snapshot.
 *
 * `OMNISCIENT_PROPERTY_RUNS=<n>` runs n cases (default 60).
 */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { Actor, createContainer, memoryStore, type Container, type EventStore } from 'omniscient-actors';
import { propertyRuns } from '../../actors/properties/schedule.js';

const runs = propertyRuns(60);

interface Shapes {
  total: number;
  names: Map<string, number>;
  tags: Set<string>;
  history: Array<number | undefined>;
  last: Date | undefined;
  big: bigint;
}

type Step = { name: 'added' | 'tagged' | 'cleared' | 'ignored'; key: string; amount: number };

/** The handlers of one version of the class: `weight` is what changes between versions. */
function ledgerVersion(weight: number, every: number) {
  // `weight` is spelled into the source, as a changed handler would be: each version's code differs.
  const make = new Function(
    'Actor',
    `return class Ledger extends Actor {
      static snapshotEvery = ${every};
      constructor(id, container) {
        super(id, container);
        this._state = { total: 0, names: new Map(), tags: new Set(), history: [], last: undefined, big: 0n };
      }
      added(data, event) {
        this._state.total += data.amount * ${weight};
        this._state.names.set(data.key, (this._state.names.get(data.key) ?? 0) + data.amount);
        this._state.history.push(data.amount % 3 === 0 ? undefined : data.amount);
        this._state.last = new Date(Date.parse(event.at) + data.amount);
        this._state.big += BigInt(data.amount) * ${weight}n ** 30n;
      }
      tagged(data) {
        this._state.tags.add(data.key);
      }
      cleared() {
        this._state.tags.clear();
        this._state.total = -0 * ${weight};
      }
    }`,
  ) as (base: typeof Actor) => new (id: string, container: Container) => Actor<Shapes>;
  return make(Actor);
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  name: fc.constantFrom('added', 'added', 'tagged', 'cleared', 'ignored'),
  key: fc.constantFrom('a', 'b', '__proto__', '~', 'constructor'),
  amount: fc.integer({ min: 0, max: 1000 }),
});

/** A writer of some version appends `steps`, one append per chunk, then loads. */
const writeArbitrary = fc.record({
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
  chunk: fc.integer({ min: 1, max: 7 }),
  every: fc.integer({ min: 0, max: 9 }),
  weight: fc.integer({ min: 1, max: 3 }),
});

async function write(
  store: EventStore,
  plan: { steps: Step[]; chunk: number; every: number; weight: number },
) {
  const Ledger = ledgerVersion(plan.weight, plan.every);
  const writer = await new Ledger('s', createContainer({ store })).Load();
  for (let index = 0; index < plan.steps.length; index += plan.chunk) {
    for (const { name, key, amount } of plan.steps.slice(index, index + plan.chunk)) {
      void writer.Fire(name, { key, amount });
    }
    await writer.Flush();
  }
  // Let the last snapshot save land.
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('Load with snapshots, over random streams and snapshot points', () => {
  it(
    'equals Load without snapshots, whichever handler versions wrote the snapshots',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(writeArbitrary, { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 0, max: 9 }),
          async (writes, weight, every) => {
            const store = memoryStore();
            for (const plan of writes) await write(store, plan);
            const WithSnapshots = ledgerVersion(weight, every === 0 ? 1 : every);
            const Replaying = ledgerVersion(weight, 0);
            const loaded = await new WithSnapshots('s', createContainer({ store })).Load();
            const replayed = await new Replaying('s', createContainer({ store })).Load();
            expect(loaded.state).toStrictEqual(replayed.state);
            expect(Object.is(loaded.state.total, replayed.state.total)).toBe(true);
            expect(loaded.version).toBe(replayed.version);
            expect(loaded.unhandledEvents).toBe(replayed.unhandledEvents);
            await store.close();
          },
        ),
        { numRuns: runs },
      );
    },
    60_000 + runs * 200,
  );

  it(
    'a changed handler never takes the state of the old handler’s snapshot',
    async () => {
      await fc.assert(
        fc.asyncProperty(writeArbitrary, async (plan) => {
          fc.pre(plan.every > 0 && plan.steps.length >= plan.every);
          const store = memoryStore();
          await write(store, plan);
          const changedWeight = plan.weight + 1;
          const Changed = ledgerVersion(changedWeight, plan.every);
          const loaded = await new Changed('s', createContainer({ store })).Load();
          const expectedTotal = plan.steps.reduce(
            (total, step) =>
              step.name === 'cleared'
                ? -0 * changedWeight
                : step.name === 'added'
                  ? total + step.amount * changedWeight
                  : total,
            0,
          );
          expect(loaded.state.total).toBe(expectedTotal);
          expect(loaded.version).toBe(plan.steps.length);
          await store.close();
        }),
        { numRuns: runs },
      );
    },
    60_000 + runs * 200,
  );
});
