/**
 * A LiveActor beside an Actor and a OneActor of the same id in one process (which do not take turns
 * in the stream lane), with RerunOnConflict, Dispose and Load in the middle: every promise settles,
 * nothing is lost or doubled, and the LiveActors end where a fresh Load does.
 */
import { describe, expect, it } from 'vitest';
import { Actor, createContainer, LiveActor, memoryStore, OneActor } from 'omniscient-actors';

type Counter = { total: number; seen: number[] };
function add(state: Counter, data: { n: number }): void {
  state.total += data.n;
  state.seen.push(data.n);
}
class LiveCounter extends LiveActor<Counter> {
  protected override _state: Counter = { total: 0, seen: [] };
  Add(n: number) {
    return this.Fire('added', { n });
  }
  AddOnce(n: number) {
    return this.RerunOnConflict(() => (this._state.seen.includes(n) ? undefined : this.Fire('added', { n })));
  }
  added(data: { n: number }) {
    add(this._state, data);
  }
}
class PlainCounter extends Actor<Counter> {
  protected override _state: Counter = { total: 0, seen: [] };
  Add(n: number) {
    return this.Fire('added', { n });
  }
  added(data: { n: number }) {
    add(this._state, data);
  }
}
class OnlyCounter extends OneActor<Counter> {
  protected override _state: Counter = { total: 0, seen: [] };
  Add(n: number) {
    return this.Fire('added', { n });
  }
  added(data: { n: number }) {
    add(this._state, data);
  }
}

describe('a LiveActor beside other kinds of its id', () => {
  it('settles and agrees with a fresh Load', async () => {
    const container = createContainer({ store: memoryStore() });
    const lives = await Promise.all([0, 1].map(() => new LiveCounter('c', container).Load()));
    const plain = await new PlainCounter('c', container).Load();
    const only = await new OnlyCounter('c', container).Load();
    const work: Promise<unknown>[] = [];
    let n = 0;
    for (let round = 0; round < 30; round++) {
      work.push((lives[0] as LiveCounter).Add(++n), (lives[1] as LiveCounter).AddOnce(++n));
      work.push(plain.Add(++n), only.Add(++n));
      if (round === 10) work.push((lives[0] as LiveCounter).Load());
      if (round % 3 === 0) await Promise.resolve();
    }
    const late = new LiveCounter('c', container);
    work.push(late.Load().then(() => late.Add(++n)));
    await Promise.all(work);
    await Promise.all([...lives, plain, only, late].map((actor) => actor.Flush()));
    const fresh = await new LiveCounter('c', container).Load();
    expect(fresh.state.seen.length).toBe(n);
    expect(new Set(fresh.state.seen).size).toBe(n);
    for (const live of [...lives, late]) {
      while (live.version < fresh.version) await new Promise((resolve) => setTimeout(resolve, 2));
      expect(live.state).toEqual(fresh.state);
    }
    await Promise.all([...lives, plain, only, late, fresh].map((actor) => actor.Dispose()));
  }, 60_000);
});
