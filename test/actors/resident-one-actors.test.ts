/**
 * What 10 000 resident `OneActor`s cost a process: each leads its own id, and the process renews
 * all their leases with one call per renewal period, not one per actor; their followers in another
 * process ask the store nothing while the leaders act. Counted calls, not timings.
 */
import { describe, expect, it } from 'vitest';
import { createContainer, memoryStore, OneActor, type EventStore } from 'omniscient-actors';

class Counter extends OneActor<{ count: number }> {
  // A lease long enough to outlast loading 20 000 actors on a busy machine: the spec counts renewal
  // calls, and a lease lost while the event loop was busy loading is not what it is about.
  static override leaseTtlMs = 6000;
  protected override _state = { count: 0 };
  Add() {
    return this.Fire('added', {});
  }
  added() {
    this._state.count += 1;
  }
}

/** The store, counting the lease calls made through it; a connection of its own (own keeper, own feed). */
function counted(inner: EventStore): { store: EventStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const store = new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return method(...args);
      };
    },
  });
  return { store, calls };
}

const ACTORS = 10_000;

/** Loads one actor per id, a few hundred at a time, as an application warming up would. */
async function loadAll(ids: readonly string[], store: EventStore): Promise<Counter[]> {
  const container = createContainer({ store });
  const actors: Counter[] = [];
  for (let first = 0; first < ids.length; first += 500) {
    const group = ids.slice(first, first + 500);
    actors.push(...(await Promise.all(group.map((id) => new Counter(id, container).Load()))));
  }
  return actors;
}

describe('10 000 resident OneActors in a process', () => {
  it('cost one renewal per period in the leading process, and no lease call at all in a following one', async () => {
    const shared = memoryStore();
    const leading = counted(shared);
    const following = counted(shared);
    const ids = Array.from({ length: ACTORS }, (_, index) => `counter-${index}`);
    const leaders = await loadAll(ids, leading.store);
    const followers = await loadAll(ids, following.store);
    expect(leaders.every((actor) => actor.isLeader)).toBe(true);
    expect(followers.some((actor) => actor.isLeader)).toBe(false);

    const renewalsBefore = leading.calls.get('renewLeases') ?? 0;
    const followerLeaseCalls = () =>
      ['acquireLease', 'renewLeases', 'takeOverLease', 'readLease', 'releaseLease'].reduce(
        (sum, name) => sum + (following.calls.get(name) ?? 0),
        0,
      );
    const followerCallsBefore = followerLeaseCalls();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const periods = (performance.now() - started) / (Counter.leaseTtlMs / 3);
    const renewals = (leading.calls.get('renewLeases') ?? 0) - renewalsBefore;
    // One call per period for all 10 000 leases (a period may fall either side of the window).
    expect(renewals).toBeGreaterThanOrEqual(1);
    expect(renewals).toBeLessThanOrEqual(Math.ceil(periods) + 1);
    expect(followerLeaseCalls() - followerCallsBefore).toBe(0);
    expect(leaders.every((actor) => actor.isLeader)).toBe(true);

    // A follower's Fire still reaches its leader.
    await followers[1234]!.Add();
    expect(leaders[1234]!.state.count).toBe(1);

    await Promise.all([...leaders, ...followers].map((actor) => actor.Dispose()));
    await shared.close();
  }, 120_000);
});
