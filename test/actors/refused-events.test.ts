/**
 * A pending event whose handler refuses it on the winners' state is taken out of the state,
 * rejected, and never appended: a stream never holds an event that makes it impossible to load.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  HandlerError,
  LiveActor,
  memoryStore,
  type Container,
} from 'omniscient-actors';
import { gatedStore } from './gated-store.js';

interface Balance {
  balance: number;
}

class Account extends LiveActor<Balance> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { balance: 0 };
  }
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
    if (data.amount > this._state.balance) throw new Error('insufficient funds');
    this._state.balance -= data.amount;
  }
}

class SerialAccount extends Actor<Balance> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { balance: 0 };
  }
  Withdraw(amount: number) {
    return this.Fire('withdrawn', { amount });
  }
  deposited(data: { amount: number }) {
    this._state.balance += data.amount;
  }
  withdrawn(data: { amount: number }) {
    if (data.amount > this._state.balance) throw new Error('insufficient funds');
    this._state.balance -= data.amount;
  }
}

const quietly = { logger: { debug() {}, info() {}, warn() {}, error() {} }, onError: () => undefined };

async function expectLoadable(container: Container, id: string, balance: number): Promise<void> {
  const fresh = await new Account(id, container).Load();
  expect(fresh.state.balance).toBe(balance);
  await fresh.Dispose();
}

describe('a refused pending event', () => {
  it('fired while a conflicting append backs off, is rejected and never stored', async () => {
    const store = gatedStore();
    const container = createContainer({ store, ...quietly });
    await store.appendToStream('acct', [{ name: 'deposited', data: { amount: 100 } }]);
    const account = await new Account('acct', container).Load();

    // Another writer's withdrawal wins the race against the deposit.
    store.beforeNextAppend(() =>
      store.appendToStream('acct', [{ name: 'withdrawn', data: { amount: 100 } }]),
    );
    let withdrawal: Promise<unknown> | undefined;
    store.onNextConflict(() => {
      withdrawal = account.Withdraw(50);
    });
    const deposit = account.Deposit(10);

    await expect(deposit).resolves.toMatchObject({ name: 'deposited', version: 3 });
    await expect(withdrawal).rejects.toBeInstanceOf(HandlerError);
    await expect(account.Flush()).rejects.toBeInstanceOf(HandlerError);

    const stored = await store.readStream('acct');
    expect(stored.map((event) => event.name)).toEqual(['deposited', 'withdrawn', 'deposited']);
    expect(account.state.balance).toBe(10);
    expect(account.version).toBe(3);
    await expectLoadable(container, 'acct', 10);
    await account.Dispose();
  });

  it('when the winners arrive through the live feed, is rejected and never stored', async () => {
    const inner = memoryStore();
    const store = gatedStore(inner);
    const container = createContainer({ store, ...quietly });
    await store.appendToStream('acct', [{ name: 'deposited', data: { amount: 100 } }]);
    const account = await new Account('acct', container).Load();

    store.holdReplies();
    const deposit = account.Deposit(10);
    // The deposit is stored but its reply is slow; meanwhile the user withdraws, and another
    // writer withdraws everything.
    await store.notified('acct', 2);
    const withdrawal = account.Withdraw(50);
    expect(account.state.balance).toBe(60);
    await inner.appendToStream('acct', [{ name: 'withdrawn', data: { amount: 110 } }]);
    await store.notified('acct', 3);
    store.release();

    await expect(deposit).resolves.toMatchObject({ version: 2 });
    await expect(withdrawal).rejects.toBeInstanceOf(HandlerError);
    await account.Flush().catch(() => undefined);
    const stored = await store.readStream('acct');
    expect(stored.map((event) => event.name)).toEqual(['deposited', 'deposited', 'withdrawn']);
    expect(account.state.balance).toBe(0);
    await expectLoadable(container, 'acct', 0);
    await account.Dispose();
  });

  it('an event its handler refuses at Fire throws at once and is never stored, on Actor too', async () => {
    const container = createContainer({ store: memoryStore(), ...quietly });
    await container.store.appendToStream('acct', [{ name: 'deposited', data: { amount: 5 } }]);
    const account = await new SerialAccount('acct', container).Load();
    expect(() => account.Withdraw(50)).toThrow(HandlerError);
    expect(account.state.balance).toBe(5);
    await account.Withdraw(5);
    await account.Flush();
    expect((await container.store.readStream('acct')).map((event) => event.name)).toEqual([
      'deposited',
      'withdrawn',
    ]);
    const fresh = await new SerialAccount('acct', container).Load();
    expect(fresh.state).toEqual(account.state);
  });
});
