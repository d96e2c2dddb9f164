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
