import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createContainer,
  HandlerError,
  memoryStore,
  OneActor,
  type EventStore,
  type TickData,
} from 'omniscient-actors';

/** The store with every read a few milliseconds late, as over a network: timers get to run meanwhile. */
function slowReads(inner: EventStore): EventStore {
  return new Proxy(inner, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      return key === 'readStream'
        ? async (...args: unknown[]) => {
            await sleep(5);
            return method(...args);
          }
        : method;
    },
  });
}
import { Given } from 'omniscient-actors/testing';
import { Scheduler } from '../../examples/job-scheduler/scheduler.js';

class Wallet extends OneActor<{ balance: number }> {
  protected override _state = { balance: 0 };
  Deposit(amount: number) {
    return this.Fire('deposited', { amount });
  }
  Withdraw(amount: number) {
    return this.Fire('withdrawn', { amount });
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
  withdrawn(data: { amount: number }) {
    if (data.amount > this._state.balance) throw new Error('not enough');
    this._state.balance -= data.amount;
  }
}

const tick = (n: number): { name: 'tick'; data: TickData } => ({
  name: 'tick',
  data: { n, at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString() },
});

describe('Given with the elected kinds', () => {
  it('runs a OneActor story: the actor leads alone and its handler decides', async () => {
    await Given('a wallet with 5', [{ name: 'deposited', data: { amount: 5 } }])
      .When(Wallet, 'Deposit', 3)
      .Then([{ name: 'deposited', data: { amount: 3 } }])
      .AndState({ balance: 8 });
    await Given('a wallet with 5', [{ name: 'deposited', data: { amount: 5 } }])
      .When(Wallet, 'Withdraw', 7)
      .ThenThrows(HandlerError);
  });

  it('runs a TickActor story on the ticks it gives, with no tick of its own in the middle', async () => {
    // The last given tick is long past: a scheduler that ticked by itself would fire one at once.
    await Given('two jobs, and three ticks since', [
      { name: 'job_scheduled', data: { job: 'send-report', every: 2 } },
      { name: 'job_scheduled', data: { job: 'clean-cache', every: 3 } },
      tick(1),
      tick(2),
      tick(3),
    ])
      .When(Scheduler, 'Schedule', 'rotate-logs', 5)
      .Then([{ name: 'job_scheduled', data: { job: 'rotate-logs', every: 5 } }])
      .AndState({ tick: 3, due: ['send-report', 'clean-cache'] });
  });

  it('a TickActor under a story never ticks by itself, even on a store slow enough for its timer to run', async () => {
    const store = slowReads(memoryStore());
    const container = createContainer({ store });
    const given = [tick(1), tick(2), tick(3)];
    await Given('three ticks long past', given, { container })
      .When(Scheduler, 'Schedule', 'send-report', 2)
      .Then([{ name: 'job_scheduled', data: { job: 'send-report', every: 2 } }]);
    // Given disposed the scheduler: whatever it could have ticked would be stored by now.
    const stored = await store.readStream('actor-under-test');
    expect(stored.filter((event) => event.name === 'tick')).toHaveLength(given.length);
    await store.close();
  });

  it('a job recorded as run is no longer due', async () => {
    const story = Given('a report due at tick 2', [
      { name: 'job_scheduled', data: { job: 'send-report', every: 2 } },
      tick(1),
      tick(2),
      { name: 'job_ran', data: { job: 'send-report', tick: 2 } },
    ]);
    await story.When(Scheduler, 'Schedule', 'clean-cache', 3).AndState({ due: [] });
    expect(Scheduler.missedTicks).toBe('skip');
  });
});
