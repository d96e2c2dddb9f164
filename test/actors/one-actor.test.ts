import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createContainer,
  HandlerError,
  InvalidActorIdError,
  OneActor,
  StoreUnavailableError,
  UsageError,
  type EventStore,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { eventually } from '../support/eventually.js';

interface Account {
  balance: number;
}

class Wallet extends OneActor<Account> {
  static override requestTimeoutMs = 200;
  protected override _state: Account = { balance: 0 };
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
    if (data.amount > this._state.balance) throw new Error(`only ${this._state.balance} left`);
    this._state.balance -= data.amount;
  }
}

const directory = mkdtempSync(join(tmpdir(), 'omniscient-one-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

/** Stores on one SQLite file, each with its own connection and lease keeper: one per node. */
function nodes(count: number): EventStore[] {
  const file = join(directory, `one-${++files}.sqlite`);
  return Array.from({ length: count }, () => sqliteStore({ file, pollIntervalMs: 2 }));
}

async function closeAll(actors: OneActor[], stores: EventStore[]): Promise<void> {
  await Promise.all(actors.map((actor) => actor.Dispose()));
  await Promise.all(stores.map((store) => store.close()));
}

describe('OneActor', () => {
  it('leads alone: the first instance loaded is elected, fires and appends with its term', async () => {
    const [store] = nodes(1) as [EventStore];
    const wallet = await new Wallet('w1', createContainer({ store })).Load();
    await eventually(() => expect(wallet.isLeader).toBe(true));
    const stored = await wallet.Deposit(10);
    expect(stored).toMatchObject({ name: 'deposited', version: 1, data: { amount: 10 } });
    expect(wallet.state.balance).toBe(10);
    const lease = await store.readLease('leader:w1');
    expect(lease.held?.term).toBeGreaterThanOrEqual(1);
    await closeAll([wallet], [store]);
  });

  it('a follower does not apply its Fire locally: the leader decides, and the Fire resolves once applied here', async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const leader = await new Wallet('w2', createContainer({ store: a })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const follower = await new Wallet('w2', createContainer({ store: b })).Load();
    expect(follower.isLeader).toBe(false);
    const firing = follower.Deposit(5);
    expect(follower.state.balance).toBe(0);
    const stored = await firing;
    expect(stored).toMatchObject({ name: 'deposited', version: 1, data: { amount: 5 } });
    expect(stored.meta).toMatchObject({ actor: 'Wallet', request: expect.any(Number) });
    expect(follower.state.balance).toBe(5);
    await eventually(() => expect(leader.state.balance).toBe(5));
    await closeAll([leader, follower], [a, b]);
  });

  it("a request the leader's handler refuses rejects with its HandlerError and stores nothing", async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const leader = await new Wallet('w3', createContainer({ store: a })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    const follower = await new Wallet('w3', createContainer({ store: b })).Load();
    const refused = follower.Withdraw(7);
    await expect(refused).rejects.toBeInstanceOf(HandlerError);
    await expect(refused).rejects.toThrow(/only 0 left/);
    await follower.Deposit(3);
    expect(await a.readStream('w3')).toHaveLength(1);
    expect(follower.state.balance).toBe(3);
    await expect(follower.Flush()).resolves.toBeUndefined();
    await closeAll([leader, follower], [a, b]);
  });

  it('requests from several followers are each applied exactly once, in one order everywhere', async () => {
    const stores = nodes(3);
    const [leader, ...followers] = await Promise.all(
      stores.map((store) => new Wallet('w4', createContainer({ store })).Load()),
    );
    await eventually(() => expect([leader, ...followers].filter((w) => w?.isLeader)).toHaveLength(1));
    const all = [leader, ...followers] as Wallet[];
    await Promise.all(all.flatMap((wallet) => Array.from({ length: 20 }, () => wallet.Deposit(1))));
    const events = await stores[0]!.readStream('w4');
    expect(events).toHaveLength(60);
    expect(new Set(events.map((event) => event.id)).size).toBe(60);
    await eventually(() => expect(all.map((wallet) => wallet.state.balance)).toEqual([60, 60, 60]));
    await closeAll(all, stores);
  });

  it('Dispose of the leader hands over at once: a follower leads and serves its own request', async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const first = await new Wallet('w5', createContainer({ store: a })).Load();
    await eventually(() => expect(first.isLeader).toBe(true));
    const second = await new Wallet('w5', createContainer({ store: b })).Load();
    await first.Dispose();
    const started = performance.now();
    await second.Deposit(1);
    // Far less than the request timeout or the lease TTL: the handover record started a campaign.
    expect(performance.now() - started).toBeLessThan(Wallet.requestTimeoutMs + 1500);
    expect(second.isLeader).toBe(true);
    await closeAll([second], [a, b]);
  });

  it('a leader that does not act is taken over by a requester after requestTimeoutMs', async () => {
    const [store] = nodes(1) as [EventStore];
    // A holder that holds the lease and renews it for a minute, but never serves anything.
    const ghost = await store.acquireLease('leader:w6', { holder: 'ghost', ttlMs: 60_000 });
    expect(ghost.granted).toBe(true);
    const wallet = await new Wallet('w6', createContainer({ store })).Load();
    expect(wallet.isLeader).toBe(false);
    await wallet.Deposit(2);
    expect(wallet.isLeader).toBe(true);
    const lease = await store.readLease('leader:w6');
    expect(lease.held?.holder).not.toBe('ghost');
    expect(lease.term).toBe(ghost.term + 1);
    // The ghost's appends with its old term are refused now.
    await expect(
      store.appendToStream('w6', [{ name: 'deposited', data: { amount: 100 } }], { fencingTerm: ghost.term }),
    ).rejects.toMatchObject({ code: 'FENCED' });
    await closeAll([wallet], [store]);
  });

  it("a follower's Fire waiting on the leader fails with StoreUnavailableError once its store is closed under it", async () => {
    const [store] = nodes(1) as [EventStore];
    // A leader that never serves: the request waits until the follower's store is closed.
    await store.acquireLease('leader:w7', { holder: 'ghost', ttlMs: 60_000 });
    const wallet = await new Wallet('w7', createContainer({ store, onError: () => undefined })).Load();
    const firing = wallet.Deposit(1);
    await eventually(async () => expect(await store.streamVersion('$requests:w7')).toBe(1));
    await store.close();
    await expect(firing).rejects.toBeInstanceOf(StoreUnavailableError);
    await wallet.Dispose();
  });

  it('passes over request records it cannot read, and serves the ones after them', async () => {
    const [a, b] = nodes(2) as [EventStore, EventStore];
    const leader = await new Wallet('w8', createContainer({ store: a })).Load();
    await eventually(() => expect(leader.isLeader).toBe(true));
    // Records no version of the library wrote: a request without its event id, an unknown kind,
    // a refusal without data.
    await a.appendToStream('$requests:w8', [
      { name: 'request', data: { amount: 5 }, meta: { eventName: 'deposited' } },
      { name: 'gossip', data: 'hello' },
      { name: 'refused', data: null },
    ]);
    const follower = await new Wallet('w8', createContainer({ store: b })).Load();
    await follower.Deposit(2);
    expect((await a.readStream('w8')).map((event) => event.data)).toEqual([{ amount: 2 }]);
    await eventually(() => expect(leader.state.balance).toBe(2));
    await closeAll([leader, follower], [a, b]);
  });

  it('refuses an id that names a request stream, or that is too long for one', () => {
    const [store] = nodes(1) as [EventStore];
    const container = createContainer({ store });
    expect(() => new Wallet('$requests:x', container)).toThrow(InvalidActorIdError);
    expect(() => new Wallet('x'.repeat(250), container)).toThrow(InvalidActorIdError);
    return store.close();
  });

  it('refuses settings that cannot work, naming the field', () => {
    const [store] = nodes(1) as [EventStore];
    const container = createContainer({ store });
    class Hasty extends Wallet {
      static override requestTimeoutMs = 0;
    }
    class Frail extends Wallet {
      static override leaseTtlMs = 1.5;
    }
    expect(() => new Hasty('h', container)).toThrow(/Hasty.requestTimeoutMs/);
    expect(() => new Hasty('h', container)).toThrow(UsageError);
    expect(() => new Frail('f', container)).toThrow(/Frail.leaseTtlMs/);
    return store.close();
  });
});
