/**
 * Conformance: leases. A lease is granted to one holder at a time, judged on the store's clock;
 * each new tenure carries a higher term than every earlier one; one renewal extends all of a
 * holder's leases; a release hands over at once; a takeover ends the live tenure it names, and
 * only that one; a refusal or a release by a non-holder changes nothing; and a deposed holder's
 * appends, fenced with its old term, are refused once its successor has written.
 *
 * Expiry is waited for for real (the store's clock is the truth, so no clock is faked): short TTLs
 * where a spec needs a lease to lapse, and long ones where it needs a lease to hold, so that no spec
 * depends on how fast the machine runs.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, Lease, LeaseAnswer } from '../engines/engine.js';
import { FencedError, StoreUnavailableError, UsageError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';

/** A TTL that outlasts any spec: a lease acquired with it is held until released. */
const HELD_MS = 60_000;
/** A TTL a spec waits out. */
const SHORT_MS = 250;

export function describeLeases(specs: Specs): void {
  specs.describe('leases', () => {
    describeGrants(specs);
    describeExpiry(specs);
    describeRenewal(specs);
    describeRelease(specs);
    describeRaces(specs);
    describeTakeovers(specs);
    describeLeaseFencing(specs);
    describeLeaseArguments(specs);
  });
}

/** Acquires `name` for `holder`, failing the spec unless it is granted. */
async function granted(store: EventStore, name: string, holder: string, ttlMs = HELD_MS): Promise<Lease> {
  const answer = await store.acquireLease(name, { holder, ttlMs });
  assert.equal(
    answer.granted,
    true,
    `expected ${holder} to be granted "${name}", got ${JSON.stringify(answer)}`,
  );
  return answer;
}

/** Waits until a tenure that `answer` said ends in `expiresInMs` of the store's clock has ended. */
async function outlive(answer: { expiresInMs: number }): Promise<void> {
  await sleep(answer.expiresInMs + 30);
}

function describeGrants({ it }: Specs): void {
  it('grants a free lease with term 1, and tells when it expires on the store clock', async (open) => {
    const store = await open();
    const answer = await store.acquireLease('leader:1', { holder: 'node-a', ttlMs: HELD_MS });
    assertMatches(answer, {
      granted: true,
      name: 'leader:1',
      holder: 'node-a',
      term: 1,
      expiresInMs: HELD_MS,
    });
    assert.equal(new Date(answer.expiresAt).toISOString(), answer.expiresAt);
    assertMatches(await store.readLease('leader:1'), {
      name: 'leader:1',
      term: 1,
      held: { name: 'leader:1', holder: 'node-a', term: 1, expiresAt: answer.expiresAt },
    });
  });

  it('grants it again to the same holder with the same term, extending it', async (open) => {
    const store = await open();
    const first = await granted(store, 'leader:1', 'node-a', SHORT_MS);
    const again = await granted(store, 'leader:1', 'node-a', HELD_MS);
    assertMatches(again, { term: 1, expiresInMs: HELD_MS });
    assert.ok(again.expiresAt > first.expiresAt, `${again.expiresAt} should be after ${first.expiresAt}`);
  });

  it('refuses another holder while the lease is held, says who holds it, and changes nothing', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    const refused = await store.acquireLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS });
    assertMatches(refused, {
      granted: false,
      name: 'leader:1',
      holder: 'node-a',
      term: 1,
      expiresAt: held.expiresAt,
    });
    assert.ok(refused.expiresInMs > 0 && refused.expiresInMs <= HELD_MS, `${refused.expiresInMs} ms left`);
    assertMatches(await store.readLease('leader:1'), { term: 1, held: { holder: 'node-a', term: 1 } });
    // The refused caller got no tenure: it has nothing to renew.
    assert.equal(await store.renewLeases('node-b', HELD_MS), undefined);
  });

  it('reads a lease never granted as term 0, held by nobody', async (open) => {
    const store = await open();
    assert.deepStrictEqual(await store.readLease('nobody'), { name: 'nobody', term: 0, held: undefined });
  });

  it('keeps each lease apart: one holder may hold several, several holders one each', async (open) => {
    const store = await open();
    await granted(store, 'one', 'node-a');
    await granted(store, 'two', 'node-a');
    await granted(store, 'three', 'node-b');
    assertMatches(await store.readLease('two'), { term: 1, held: { holder: 'node-a' } });
    assertMatches(await store.readLease('three'), { term: 1, held: { holder: 'node-b' } });
  });
}

function describeExpiry({ it }: Specs): void {
  it('lets another holder take a lease once it expired, with the next term', async (open) => {
    const store = await open();
    const first = await granted(store, 'leader:1', 'node-a', SHORT_MS);
    await outlive(first);
    assert.equal((await store.readLease('leader:1')).held, undefined);
    assertMatches(await granted(store, 'leader:1', 'node-b'), { holder: 'node-b', term: 2 });
    assertMatches(await store.readLease('leader:1'), { term: 2, held: { holder: 'node-b', term: 2 } });
  });

  it('gives a holder whose tenure lapsed a new term, and none of its other leases back', async (open) => {
    const store = await open();
    const first = await granted(store, 'one', 'node-a', SHORT_MS);
    await granted(store, 'two', 'node-a', SHORT_MS);
    await outlive(first);
    assert.equal(await store.renewLeases('node-a', HELD_MS), undefined);
    // A new tenure, though nobody took the lease meanwhile: the term names one unbroken tenure.
    assertMatches(await granted(store, 'one', 'node-a'), { term: 2 });
    assertMatches(await store.readLease('two'), { term: 1, held: undefined });
    assertMatches(await granted(store, 'two', 'node-b'), { term: 2 });
  });
}

function describeRenewal({ it }: Specs): void {
  it('extends every lease of a holder with one renewal', async (open) => {
    const store = await open();
    const first = await granted(store, 'one', 'node-a', SHORT_MS);
    await granted(store, 'two', 'node-a', SHORT_MS);
    const renewal = await store.renewLeases('node-a', HELD_MS);
    assertMatches(renewal, { holder: 'node-a', expiresInMs: HELD_MS });
    await outlive(first);
    for (const name of ['one', 'two']) {
      const refused = await store.acquireLease(name, { holder: 'node-b', ttlMs: HELD_MS });
      assertMatches(refused, { granted: false, holder: 'node-a', term: 1, expiresAt: renewal?.expiresAt });
    }
  });

  it('answers undefined to a holder that holds nothing, and grants it nothing', async (open) => {
    const store = await open();
    assert.equal(await store.renewLeases('stranger', HELD_MS), undefined);
    assert.equal(await store.renewLeases('stranger', HELD_MS), undefined);
  });
}

function describeRelease({ it }: Specs): void {
  it('hands a released lease over at once, with the next term', async (open) => {
    const store = await open();
    await granted(store, 'leader:1', 'node-a');
    assert.equal(await store.releaseLease('leader:1', 'node-a'), true);
    assertMatches(await store.readLease('leader:1'), { term: 1, held: undefined });
    assertMatches(await granted(store, 'leader:1', 'node-b'), { term: 2 });
  });

  it('changes nothing when a holder releases a lease it does not hold', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    assert.equal(await store.releaseLease('leader:1', 'node-b'), false);
    assert.equal(await store.releaseLease('never-granted', 'node-b'), false);
    assertMatches(await store.readLease('leader:1'), {
      term: 1,
      held: { holder: 'node-a', expiresAt: held.expiresAt },
    });
    assertMatches(await store.readLease('never-granted'), { term: 0, held: undefined });
  });

  it('frees every lease of a holder that releases itself, and its tenure with them', async (open) => {
    const store = await open();
    await granted(store, 'one', 'node-a');
    await granted(store, 'two', 'node-a');
    await store.releaseHolder('node-a');
    assert.equal(await store.renewLeases('node-a', HELD_MS), undefined);
    assertMatches(await granted(store, 'one', 'node-b'), { term: 2 });
    assertMatches(await granted(store, 'two', 'node-a'), { term: 2 });
    await store.releaseHolder('never-held');
  });
}

function describeRaces({ it }: Specs): void {
  it('grants a free lease to exactly one of 10 holders asking at once', async (open) => {
    const store = await open();
    const answers: LeaseAnswer[] = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        store.acquireLease('contended', { holder: `node-${index}`, ttlMs: HELD_MS }),
      ),
    );
    const winners = answers.filter((answer) => answer.granted);
    assert.equal(winners.length, 1, JSON.stringify(answers));
    const winner = winners[0]?.holder;
    for (const answer of answers) assertMatches(answer, { holder: winner, term: 1 });
  });

  it('numbers tenures 1, 2, 3, … over many takeovers, whoever takes the lease', async (open) => {
    const store = await open();
    const holders = ['node-a', 'node-b', 'node-a', 'node-a', 'node-c', 'node-b'];
    const terms: number[] = [];
    for (const holder of holders) {
      terms.push((await granted(store, 'leader:1', holder)).term);
      assert.equal(await store.releaseLease('leader:1', holder), true);
    }
    assert.deepStrictEqual(terms, [1, 2, 3, 4, 5, 6]);
  });
}

function describeTakeovers({ it }: Specs): void {
  it('takes a live lease whose term it names, with the next term, whoever holds it', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    const answer = await store.takeOverLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS }, held.term);
    assertMatches(answer, {
      granted: true,
      name: 'leader:1',
      holder: 'node-b',
      term: held.term + 1,
      expiresInMs: HELD_MS,
    });
    assertMatches(await store.readLease('leader:1'), {
      term: held.term + 1,
      held: { holder: 'node-b', term: held.term + 1, expiresAt: answer.expiresAt },
    });
    const refused = await store.acquireLease('leader:1', { holder: 'node-a', ttlMs: HELD_MS });
    assertMatches(refused, { granted: false, holder: 'node-b', term: held.term + 1 });
  });

  it('leaves the holder taken over from its tenure and its other leases, but not that one', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    await granted(store, 'leader:2', 'node-a');
    assertMatches(await store.takeOverLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS }, held.term), {
      granted: true,
    });
    assertMatches(await store.renewLeases('node-a', HELD_MS), { holder: 'node-a', expiresInMs: HELD_MS });
    assertMatches(await store.readLease('leader:2'), { term: 1, held: { holder: 'node-a', term: 1 } });
    assert.equal(await store.releaseLease('leader:1', 'node-a'), false);
    assertMatches(await store.readLease('leader:1'), { term: 2, held: { holder: 'node-b', term: 2 } });
    assert.equal(await store.releaseLease('leader:2', 'node-a'), true);
  });

  it('refuses a takeover naming a term that is not the latest, and changes nothing', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    const taken = await store.takeOverLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS }, held.term);
    assertMatches(taken, { granted: true, term: 2 });
    // node-c saw node-a not acting, but node-b already took over: node-b's tenure is not the one
    // node-c judged, so it stays.
    for (const term of [held.term, 3]) {
      const refused = await store.takeOverLease('leader:1', { holder: 'node-c', ttlMs: HELD_MS }, term);
      assertMatches(refused, { granted: false, holder: 'node-b', term: 2, expiresAt: taken.expiresAt });
    }
    assertMatches(await store.readLease('leader:1'), {
      term: 2,
      held: { holder: 'node-b', expiresAt: taken.expiresAt },
    });
    // The refused caller got no tenure: it has nothing to renew.
    assert.equal(await store.renewLeases('node-c', HELD_MS), undefined);
  });

  it('grants a lease nobody holds as acquireLease does, whatever term it names', async (open) => {
    const store = await open();
    const ask = { holder: 'node-b', ttlMs: HELD_MS };
    assertMatches(await store.takeOverLease('never-granted', ask, 5), { granted: true, term: 1 });
    const lapsing = await granted(store, 'lapsed', 'node-a', SHORT_MS);
    // Another holder: node-a's every acquisition sets the expiry of its one tenure.
    await granted(store, 'released', 'node-c');
    assert.equal(await store.releaseLease('released', 'node-c'), true);
    await outlive(lapsing);
    assertMatches(await store.takeOverLease('lapsed', ask, 9), { granted: true, holder: 'node-b', term: 2 });
    assertMatches(await store.takeOverLease('released', ask, 9), {
      granted: true,
      holder: 'node-b',
      term: 2,
    });
    assertMatches(await store.readLease('lapsed'), { term: 2, held: { holder: 'node-b', term: 2 } });
  });

  it('grants a lease to its own holder as acquireLease does: the same term, extended', async (open) => {
    const store = await open();
    const first = await granted(store, 'leader:1', 'node-a', SHORT_MS);
    for (const term of [first.term, first.term + 4]) {
      const again = await store.takeOverLease('leader:1', { holder: 'node-a', ttlMs: HELD_MS }, term);
      assertMatches(again, { granted: true, holder: 'node-a', term: first.term, expiresInMs: HELD_MS });
    }
    assertMatches(await store.readLease('leader:1'), { term: first.term, held: { holder: 'node-a' } });
  });

  it('grants exactly one of two takeovers naming the same term at once', async (open) => {
    const store = await open();
    const held = await granted(store, 'leader:1', 'node-a');
    const answers: LeaseAnswer[] = await Promise.all(
      ['node-b', 'node-c'].map((holder) =>
        store.takeOverLease('leader:1', { holder, ttlMs: HELD_MS }, held.term),
      ),
    );
    const winners = answers.filter((answer) => answer.granted);
    assert.equal(winners.length, 1, JSON.stringify(answers));
    const winner = winners[0]?.holder;
    assert.notEqual(winner, 'node-a');
    for (const answer of answers) assertMatches(answer, { holder: winner, term: held.term + 1 });
    assertMatches(await store.readLease('leader:1'), { term: held.term + 1, held: { holder: winner } });
  });
}

function describeLeaseFencing({ it }: Specs): void {
  it("refuses a deposed holder's append under its old term once its successor wrote", async (open) => {
    const store = await open();
    const stale = await granted(store, 'leader:1', 'node-a', SHORT_MS);
    await store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-a' } }], {
      fencingTerm: stale.term,
    });
    // node-a pauses past its lease (a GC pause, SIGSTOP); node-b takes over and writes.
    await outlive(stale);
    const successor = await granted(store, 'leader:1', 'node-b');
    assert.ok(successor.term > stale.term);
    await store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-b' } }], {
      fencingTerm: successor.term,
    });
    // node-a wakes up, still believing it leads.
    const error = await rejectionOf(
      store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-a' } }], {
        fencingTerm: stale.term,
      }),
    );
    assertInstanceOf(error, FencedError);
    assertMatches(error, { stream: 'ledger', term: stale.term, currentTerm: successor.term });
    assert.deepStrictEqual(
      (await store.readStream('ledger')).map((event) => event.data),
      [{ by: 'node-a' }, { by: 'node-b' }],
    );
  });

  it('refuses the append of a holder taken over from, under its old term, once the taker wrote', async (open) => {
    const store = await open();
    const stale = await granted(store, 'leader:1', 'node-a');
    await store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-a' } }], {
      fencingTerm: stale.term,
    });
    // node-a still holds the lease but leaves requests unanswered; node-b takes over.
    const successor = await store.takeOverLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS }, stale.term);
    assertMatches(successor, { granted: true, term: stale.term + 1 });
    await store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-b' } }], {
      fencingTerm: successor.term,
    });
    const error = await rejectionOf(
      store.appendToStream('ledger', [{ name: 'ruled', data: { by: 'node-a' } }], {
        fencingTerm: stale.term,
      }),
    );
    assertInstanceOf(error, FencedError);
    assertMatches(error, { stream: 'ledger', term: stale.term, currentTerm: successor.term });
    assert.deepStrictEqual(
      (await store.readStream('ledger')).map((event) => event.data),
      [{ by: 'node-a' }, { by: 'node-b' }],
    );
  });
}

function describeLeaseArguments({ it }: Specs): void {
  it('refuses names, holders, TTLs and terms that are not valid with UsageError, changing nothing', async (open) => {
    const store = await open();
    const texts: unknown[] = ['', 'x'.repeat(257), 'a\u0000b', 'a\nb', '\uD800', 1, null, undefined];
    const ttls: unknown[] = [0, -1, 1.5, Number.NaN, 2 ** 31, '100', 100n, null];
    const terms: unknown[] = [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53, '1', 1n, null, undefined];
    const ask = { holder: 'node-a', ttlMs: HELD_MS };
    const calls: (() => Promise<unknown>)[] = [
      ...texts.map((name) => () => store.acquireLease(name as string, { holder: 'node-a', ttlMs: HELD_MS })),
      ...texts.map(
        (holder) => () => store.acquireLease('lease', { holder: holder as string, ttlMs: HELD_MS }),
      ),
      ...ttls.map((ttlMs) => () => store.acquireLease('lease', { holder: 'node-a', ttlMs: ttlMs as number })),
      () => store.acquireLease('lease', undefined as never),
      ...texts.map((name) => () => store.takeOverLease(name as string, ask, 1)),
      ...texts.map(
        (holder) => () => store.takeOverLease('lease', { holder: holder as string, ttlMs: HELD_MS }, 1),
      ),
      ...ttls.map(
        (ttlMs) => () => store.takeOverLease('lease', { holder: 'node-a', ttlMs: ttlMs as number }, 1),
      ),
      () => store.takeOverLease('lease', undefined as never, 1),
      ...terms.map((term) => () => store.takeOverLease('lease', ask, term as number)),
      ...texts.map((holder) => () => store.renewLeases(holder as string, HELD_MS)),
      ...ttls.map((ttlMs) => () => store.renewLeases('node-a', ttlMs as number)),
      ...texts.map((name) => () => store.releaseLease(name as string, 'node-a')),
      ...texts.map((holder) => () => store.releaseLease('lease', holder as string)),
      ...texts.map((holder) => () => store.releaseHolder(holder as string)),
      ...texts.map((name) => () => store.readLease(name as string)),
    ];
    for (const [index, call] of calls.entries()) {
      assertInstanceOf(await rejectionOf(call()), UsageError, `call ${index}`);
    }
    assertMatches(await store.readLease('lease'), { term: 0, held: undefined });
  });

  it('rejects every lease call after close with StoreUnavailableError', async (open) => {
    const store = await open();
    await granted(store, 'leader:1', 'node-a');
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['acquireLease', () => store.acquireLease('leader:1', { holder: 'node-a', ttlMs: HELD_MS })],
      ['takeOverLease', () => store.takeOverLease('leader:1', { holder: 'node-b', ttlMs: HELD_MS }, 1)],
      ['renewLeases', () => store.renewLeases('node-a', HELD_MS)],
      ['releaseLease', () => store.releaseLease('leader:1', 'node-a')],
      ['releaseHolder', () => store.releaseHolder('node-a')],
      ['readLease', () => store.readLease('leader:1')],
    ];
    for (const [name, call] of calls)
      assertInstanceOf(await rejectionOf(call()), StoreUnavailableError, name);
  });
}
