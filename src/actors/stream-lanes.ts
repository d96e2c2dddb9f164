/**
 * One append at a time per stream in this process, whatever actor instance makes it: two live
 * actors of one id in one process (a `User` and a `Player` on `'alice'`, or two instances of one
 * class) would otherwise race each other to the store, and one of them would always lose. Taking
 * turns, the second appends after the first's answer, knowing its events (the live feed hands them
 * over at once, see `LiveFeed.stored`), so it expects the right version and does not conflict.
 *
 * A lane lives only while appends queue in it: an idle stream costs nothing.
 */
import type { EventStore } from '../engines/engine.js';

const lanesByStore = new WeakMap<EventStore, Map<string, Promise<unknown>>>();

/** Runs `work` once every earlier append of `stream` to `store` in this process has settled. */
export function inStreamLane<T>(store: EventStore, stream: string, work: () => Promise<T>): Promise<T> {
  let lanes = lanesByStore.get(store);
  if (lanes === undefined) {
    lanes = new Map();
    lanesByStore.set(store, lanes);
  }
  const previous = lanes.get(stream);
  const result = previous === undefined ? work() : previous.then(work);
  const tail = result.catch(() => undefined);
  lanes.set(stream, tail);
  void tail.then(() => {
    if (lanes.get(stream) === tail) lanes.delete(stream);
  });
  return result;
}
