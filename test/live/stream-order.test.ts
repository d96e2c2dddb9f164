import { describe, expect, it } from 'vitest';
import type { StoredEvent } from 'omniscient-actors';
import { StreamOrder } from '../../src/live/stream-order.js';

function event(version: number): StoredEvent {
  return {
    id: `e${version}`,
    stream: 's',
    name: 'n',
    data: null,
    version,
    position: version,
    at: '',
    meta: {},
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

describe('the ordering buffer of a stream', () => {
  it('delivers events in version order whatever order they arrive in, each once', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const order = new StreamOrder(1);
      const versions = Array.from({ length: 40 }, (_, index) => index + 1);
      // Every event arrives, some twice, in a shuffled order.
      const arrivals = shuffled([...versions, ...versions.filter((version) => version % 3 === 0)], seed);
      const delivered: number[] = [];
      for (const version of arrivals)
        delivered.push(...order.offer([event(version)]).map((each) => each.version));
      expect(delivered).toEqual(versions);
      expect(order.gap).toBeUndefined();
      expect(order.nextVersion).toBe(41);
    }
  });

  it('holds early events and names the gap before them', () => {
    const order = new StreamOrder(3);
    expect(order.offer([event(5), event(7)])).toEqual([]);
    expect(order.gap).toEqual({ fromVersion: 3, toVersion: 4 });
    expect(order.offer([event(3), event(4)]).map((each) => each.version)).toEqual([3, 4, 5]);
    expect(order.gap).toEqual({ fromVersion: 6, toVersion: 6 });
  });

  it('drops what was already delivered, or is behind where it starts', () => {
    const order = new StreamOrder(5);
    expect(order.offer([event(2), event(4)])).toEqual([]);
    expect(order.gap).toBeUndefined();
    expect(order.offer([event(5)]).map((each) => each.version)).toEqual([5]);
    expect(order.offer([event(5)])).toEqual([]);
  });

  it('skips forward when the consumer learnt of later versions by itself', () => {
    const order = new StreamOrder(1);
    order.offer([event(3)]);
    order.skipTo(4);
    expect(order.gap).toBeUndefined();
    expect(order.offer([event(4)]).map((each) => each.version)).toEqual([4]);
  });
});
