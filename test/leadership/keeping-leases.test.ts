/**
 * How a keeper keeps what its process leads: one renewal per period for all of its leases, a
 * leader that steps down before the store's expiry when it cannot renew, a leader deposed when the
 * store says its tenure lapsed, and the options a keeper refuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, UsageError } from '../../src/index.js';
import { LeaseKeeper } from '../../src/leadership/lease-keeper.js';
import {
  eventually,
  memoryEngine,
  Recorder,
  sqliteFileEngine,
  WatchedStore,
  type LeadershipEngine,
} from './fixtures.js';

const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

function open(engine: LeadershipEngine): ReturnType<LeadershipEngine['open']> {
  const opened = engine.open();
  closing.push(() => opened.close());
  return opened;
}

function keep(keeper: LeaseKeeper): LeaseKeeper {
  closing.push(() => keeper.close());
  return keeper;
}

describe('renewal', () => {
  it('costs one store call per period for a hundred leases, and none per lease', async () => {
    const watched = new WatchedStore(open(memoryEngine).connect());
    const keeper = keep(new LeaseKeeper(watched.store, { ttlMs: 300 }));
    const recorder = new Recorder();
    for (let index = 0; index < 100; index++)
      keeper.campaign(`leader:${index}`, recorder.callbacks(`${index}`));
    await eventually(() => keeper.leading === 100, 'every campaign leads');
    const startedAt = performance.now();
    const renewalsBefore = watched.count('renewLeases');
    await eventually(() => watched.count('renewLeases') >= renewalsBefore + 5, 'five more renewals');
    const elapsed = performance.now() - startedAt;
    const renewals = watched.count('renewLeases') - renewalsBefore;

    expect(watched.count('acquireLease')).toBe(100);
    expect(watched.calls.every((call) => ['acquireLease', 'renewLeases'].includes(call.method))).toBe(true);
    for (const call of watched.calls.filter((call) => call.method === 'renewLeases')) {
      expect(call.args).toEqual([keeper.holder, 300]);
    }
    // A timer never fires early: more calls than periods could only come from renewing per lease.
    expect(renewals).toBeLessThanOrEqual(Math.floor(elapsed / keeper.timing.renewEveryMs) + 1);
    expect(recorder.told.filter((told) => told.what === 'deposed')).toEqual([]);
  });
});

describe.each([memoryEngine, sqliteFileEngine])('stepping down on $name', (engine) => {
  it('a leader whose renewals fail stops acting while the store still names it the holder', async () => {
    const opened = open(engine);
    const watched = new WatchedStore(opened.connect());
    // A wide margin, so that the store's expiry is far from the moment the leader steps down.
    const keeper = keep(new LeaseKeeper(watched.store, { ttlMs: 3000, stepDownMarginMs: 1500 }));
    const reader = opened.connect();
    let heldWhenDeposed: Promise<string | undefined> | undefined;
    const recorder = new Recorder();
    const campaign = keeper.campaign(
      'leader:failing',
      recorder.callbacks('a', {
        onDeposed: () => {
          heldWhenDeposed ??= reader.readLease('leader:failing').then((lease) => lease.held?.holder);
        },
      }),
    );
    await eventually(() => campaign.current !== undefined, 'a is elected');
    watched.failing.add('renewLeases');
    watched.failing.add('acquireLease');
    await eventually(() => recorder.told.length === 2, 'a is deposed');
    expect(recorder.told[1]).toEqual({ who: 'a', what: 'deposed', reason: 'expiring' });
    expect(await heldWhenDeposed).toBe(keeper.holder);
    expect(watched.count('renewLeases')).toBeGreaterThan(0);

    // Once the store answers again, the campaign is elected again.
    watched.failing.clear();
    await eventually(() => campaign.current !== undefined, 'a is elected again');
  });

  it('a leader whose tenure the store says lapsed is deposed, and elected again in a new term', async () => {
    const opened = open(engine);
    const keeper = keep(new LeaseKeeper(opened.connect(), { ttlMs: 600 }));
    const recorder = new Recorder();
    const campaign = keeper.campaign('leader:lapsing', recorder.callbacks('a'));
    await eventually(() => campaign.current !== undefined, 'a is elected');
    // Another party ends the tenure in the store (as the store does when it lapses).
    await opened.connect().releaseHolder(keeper.holder);
    await eventually(() => recorder.elections().length === 2, 'a is elected again');
    expect(recorder.told[1]).toEqual({ who: 'a', what: 'deposed', reason: 'lapsed' });
    const [first, second] = recorder.elections() as [number, number];
    expect(second).toBeGreaterThan(first);
  });
});

describe('a keeper', () => {
  it('is one per store and TTL in a process: one holder keeps one TTL', async () => {
    const store = memoryStore();
    const keeper = keep(LeaseKeeper.of(store, { ttlMs: 900 }));
    expect(LeaseKeeper.of(store, { ttlMs: 900 })).toBe(keeper);
    const other = keep(LeaseKeeper.of(store, { ttlMs: 1200 }));
    expect(other).not.toBe(keeper);
    expect(other.holder).not.toBe(keeper.holder);
    expect(LeaseKeeper.of(store).timing.ttlMs).toBe(1500);
    await keeper.close();
    expect(LeaseKeeper.of(store, { ttlMs: 900 })).not.toBe(keeper);
  });

  it('refuses a second campaign for one name, and any campaign once closed', async () => {
    const keeper = keep(new LeaseKeeper(memoryStore()));
    const recorder = new Recorder();
    keeper.campaign('leader:once', recorder.callbacks('a'));
    expect(() => keeper.campaign('leader:once', recorder.callbacks('b'))).toThrow(UsageError);
    await keeper.close();
    expect(() => keeper.campaign('leader:other', recorder.callbacks('c'))).toThrow(UsageError);
  });

  it('refuses a lease name or holder the store would refuse on every attempt', () => {
    const callbacks = new Recorder().callbacks('a');
    expect(() => new LeaseKeeper(memoryStore()).campaign('', callbacks)).toThrow(UsageError);
    expect(() => new LeaseKeeper(memoryStore()).campaign('x'.repeat(257), callbacks)).toThrow(UsageError);
    expect(() => new LeaseKeeper(memoryStore(), { holder: 'a\nb' })).toThrow(UsageError);
  });

  it.each([
    [{ ttlMs: 0 }],
    [{ ttlMs: 1.5 }],
    [{ ttlMs: 1000, renewEveryMs: 900 }],
    [{ ttlMs: 1000, stepDownMarginMs: 1000 }],
    [{ ttlMs: 1000, renewEveryMs: 0 }],
  ])('refuses timing that cannot work: %j', (options) => {
    expect(() => new LeaseKeeper(memoryStore(), options)).toThrow(UsageError);
  });

  it('has defaults that renew three times and step down before a TTL of 1.5 s ends', () => {
    expect(new LeaseKeeper(memoryStore()).timing).toEqual({
      ttlMs: 1500,
      renewEveryMs: 500,
      stepDownMarginMs: 300,
    });
  });
});
