/** The events and numbers the conformance specifications write and expect. */
import type { EventStore } from '../engines/engine.js';
import type { NewEvent, StoredEvent } from '../events/envelope.js';

/** `count` events named `name`, with data `{ n }` counting from `from`. */
export function events(count: number, name = 'happened', from = 1): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ name, data: { n: from + index } }));
}

/** The whole numbers `from` to `to`, inclusive. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Every event of the store, read page by page. */
export async function readEverything(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: all[all.length - 1]?.position ?? 0, limit: 100 });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** Store clocks that give no time every engine can keep: years 0001 to 9999, as a valid Date. */
export const unstorableClocks: readonly (() => unknown)[] = [
  () => new Date('+010000-01-01T00:00:00.000Z'),
  () => new Date('0000-06-01T00:00:00.000Z'),
  () => new Date(Number.NaN),
  () => '2024-01-01T00:00:00.000Z',
  () => {
    throw new Error('the clock is broken');
  },
];
