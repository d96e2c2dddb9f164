/**
 * The property upcasting exists for: a stream written in old shapes and the same history written in
 * today's shapes load to the same state. Random histories of today's events are written twice: once
 * as they are, once with some of them in an old shape — renamed, reshaped in place, two merged into
 * one that the upcasters split again, a chain of two renames — with events that meant nothing
 * (dropped by their upcaster) scattered in. One class, with the upcasters, loads both streams; its
 * upcasters pass today's shapes through unchanged, so the new-shape stream is its own reference.
 *
 * 200 histories in `npm test`; `OMNISCIENT_PROPERTY_RUNS=<n>` runs n (`npm run test:properties`).
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Actor, createContainer, memoryStore, type Upcasters } from 'omniscient-actors';
import { propertyRuns } from './schedule.js';

const runs = propertyRuns(200);

interface LedgerEvents {
  deposited: { amount: number };
  item_added: { sku: string; qty: number };
  noted: { body: string; tags: string[] };
}

interface OlderEvents {
  note_v2: { body: string };
}

interface LedgerState {
  balance: number;
  items: Array<[string, number]>;
  notes: string[];
  /** Every event in the order the handlers saw it: the order must survive upcasting too. */
  history: string[];
}

class Ledger extends Actor<LedgerState, LedgerEvents> {
  static upcasters: Upcasters<LedgerEvents, OlderEvents> = {
    deposited: (data: { cents: number } | { amount: number }) =>
      'cents' in data
        ? { name: 'deposited', data: { amount: data.cents / 100 } }
        : { name: 'deposited', data },
    added_item: (data: { sku: string; quantity: number }) => ({
      name: 'item_added',
      data: { sku: data.sku, qty: data.quantity },
    }),
    bought: (data: { sku: string; qty: number; amount: number }) => [
      { name: 'item_added', data: { sku: data.sku, qty: data.qty } },
      { name: 'deposited', data: { amount: data.amount } },
    ],
    note_v1: (data: { text: string }) => ({ name: 'note_v2', data: { body: data.text } }),
    note_v2: (data: { body: string }) => ({ name: 'noted', data: { body: data.body, tags: [] } }),
    heartbeat: () => [],
  };

  protected override _state: LedgerState = { balance: 0, items: [], notes: [], history: [] };

  deposited(data: LedgerEvents['deposited']) {
    this._state.balance += data.amount;
    this._state.history.push(`deposited ${data.amount}`);
  }
  item_added(data: LedgerEvents['item_added']) {
    this._state.items.push([data.sku, data.qty]);
    this._state.history.push(`item_added ${data.sku}×${data.qty}`);
  }
  noted(data: LedgerEvents['noted']) {
    this._state.notes.push(data.body);
    this._state.history.push(`noted ${data.body} [${data.tags.join(',')}]`);
  }
}

type Written = { name: string; data?: unknown };

/** One piece of history: the events today's code writes for it, and what an older version wrote. */
interface Piece {
  readonly today: Written[];
  readonly old: Written[];
}

const sku = fc.constantFrom('hat', 'scarf', 'glove');
const amount = fc.integer({ min: -10_000, max: 10_000 });
const text = fc.string({ maxLength: 6 });

const deposit: fc.Arbitrary<Piece> = fc.tuple(amount, fc.boolean()).map(([value, reshaped]) => ({
  today: [{ name: 'deposited', data: { amount: value } }],
  old: [{ name: 'deposited', data: reshaped ? { cents: value * 100 } : { amount: value } }],
}));

const itemAdded: fc.Arbitrary<Piece> = fc
  .tuple(sku, fc.nat(20), fc.boolean())
  .map(([name, qty, renamed]) => ({
    today: [{ name: 'item_added', data: { sku: name, qty } }],
    old: [
      renamed
        ? { name: 'added_item', data: { sku: name, quantity: qty } }
        : { name: 'item_added', data: { sku: name, qty } },
    ],
  }));

const purchase: fc.Arbitrary<Piece> = fc
  .tuple(sku, fc.nat(20), amount, fc.boolean())
  .map(([name, qty, value, merged]) => {
    const today = [
      { name: 'item_added', data: { sku: name, qty } },
      { name: 'deposited', data: { amount: value } },
    ];
    return { today, old: merged ? [{ name: 'bought', data: { sku: name, qty, amount: value } }] : today };
  });

const note: fc.Arbitrary<Piece> = fc
  .tuple(text, fc.array(text, { maxLength: 3 }), fc.constantFrom('today', 'v1', 'v2'))
  .map(([body, tags, age]) => {
    if (age === 'today') {
      const event = { name: 'noted', data: { body, tags } };
      return { today: [event], old: [event] };
    }
    // The older shapes had no tags: the same history today has none either.
    return {
      today: [{ name: 'noted', data: { body, tags: [] } }],
      old: [age === 'v1' ? { name: 'note_v1', data: { text: body } } : { name: 'note_v2', data: { body } }],
    };
  });

const heartbeat: fc.Arbitrary<Piece> = fc.constant({ today: [], old: [{ name: 'heartbeat', data: {} }] });

const histories = fc.array(fc.oneof(deposit, itemAdded, purchase, note, heartbeat), { maxLength: 40 });

describe('upcasting, over random histories', () => {
  it(
    'a stream in old shapes loads to the same state as the same history in today’s shapes',
    async () => {
      await fc.assert(
        fc.asyncProperty(histories, async (pieces) => {
          const store = memoryStore();
          const today = pieces.flatMap((piece) => piece.today);
          const old = pieces.flatMap((piece) => piece.old);
          if (today.length > 0) await store.appendToStream('today', today);
          if (old.length > 0) await store.appendToStream('old', old);
          const container = createContainer({ store });
          const fromToday = await new Ledger('today', container).Load();
          const fromOld = await new Ledger('old', container).Load();
          expect(fromOld.state).toEqual(fromToday.state);
          // The version still counts what is stored, whatever the upcasters made of it.
          expect(fromOld.version).toBe(old.length);
          expect(fromToday.version).toBe(today.length);
          // And what is stored is what was written.
          const stored = await store.readStream('old');
          expect(stored.map(({ name, data }) => ({ name, data }))).toEqual(old);
        }),
        { numRuns: runs },
      );
    },
    60_000 + runs * 50,
  );
});
