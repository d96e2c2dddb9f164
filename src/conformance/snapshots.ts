/**
 * Conformance: snapshots. A store keeps the newest snapshot per stream and key, never goes back to
 * an older one, and checks a snapshot as strictly as an event.
 */
import assert from 'node:assert/strict';
import { InvalidEventError, StoreUnavailableError, UsageError } from '../errors.js';
import { assertInstanceOf, assertMatches, rejectionOf } from './assertions.js';
import type { Specs } from './runner.js';
import { unstorableClocks } from './sample-events.js';

const snapshot = {
  stream: 'player-1',
  key: 'Player',
  version: 3,
  fingerprint: 'f1',
  state: { lives: 3 } as unknown,
};

/** Snapshots a store must refuse, and the path the refusal must name. */
const refusedSnapshots: [string, Partial<typeof snapshot>, string][] = [
  ['a state that is not JSON-safe', { state: { n: 1n } }, 'snapshot.state.n'],
  ['an empty key', { key: '' }, 'snapshot.key'],
  ['an empty fingerprint', { fingerprint: '' }, 'snapshot.fingerprint'],
  ['a key with a NUL', { key: 'a\u0000b' }, 'snapshot.key'],
  ['a version below 1', { version: 0 }, 'snapshot.version'],
  ['an invalid stream id', { stream: 'a\nb' }, 'snapshot.stream'],
];

export function describeSnapshots(specs: Specs): void {
  specs.describe('snapshots', () => {
    describeSavingAndReading(specs);
    describeRefusals(specs);
  });
}

function describeSavingAndReading({ it }: Specs): void {
  it('saves and reads back the newest snapshot of a stream for a key', async (open) => {
    const store = await open({ now: () => new Date('2030-05-06T07:08:09.000Z') });
    assert.equal(await store.readSnapshot('player-1', 'Player'), undefined);
    await store.saveSnapshot(snapshot);
    assert.deepStrictEqual(await store.readSnapshot('player-1', 'Player'), {
      ...snapshot,
      at: '2030-05-06T07:08:09.000Z',
    });
    await store.saveSnapshot({
      ...snapshot,
      version: 7,
      fingerprint: 'f2',
      state: { lives: 7, tags: ['é', null] },
    });
    assertMatches(await store.readSnapshot('player-1', 'Player'), {
      version: 7,
      fingerprint: 'f2',
      state: { lives: 7, tags: ['é', null] },
    });
  });

  it('never replaces a snapshot with an older one', async (open) => {
    const store = await open();
    await store.saveSnapshot({ ...snapshot, version: 9, state: { lives: 9 } });
    await store.saveSnapshot({ ...snapshot, version: 4, state: { lives: 4 } });
    assertMatches(await store.readSnapshot('player-1', 'Player'), { version: 9, state: { lives: 9 } });
  });

  it('replaces a snapshot with one of the same version', async (open) => {
    const store = await open();
    await store.saveSnapshot(snapshot);
    await store.saveSnapshot({ ...snapshot, fingerprint: 'f2', state: { lives: 30 } });
    assertMatches(await store.readSnapshot('player-1', 'Player'), {
      version: 3,
      fingerprint: 'f2',
      state: { lives: 30 },
    });
  });

  it('keeps one snapshot per stream and key', async (open) => {
    const store = await open();
    await store.saveSnapshot(snapshot);
    await store.saveSnapshot({ ...snapshot, key: 'User', state: { loggedIn: true } });
    await store.saveSnapshot({ ...snapshot, stream: 'player-2', state: { lives: 0 } });
    assert.deepStrictEqual((await store.readSnapshot('player-1', 'Player'))?.state, { lives: 3 });
    assert.deepStrictEqual((await store.readSnapshot('player-1', 'User'))?.state, { loggedIn: true });
    assert.deepStrictEqual((await store.readSnapshot('player-2', 'Player'))?.state, { lives: 0 });
    assert.equal(await store.readSnapshot('player-3', 'Player'), undefined);
  });

  it('returns a state the caller can change without changing the store', async (open) => {
    const store = await open();
    await store.saveSnapshot(snapshot);
    const read = await store.readSnapshot('player-1', 'Player');
    (read?.state as { lives: number }).lives = 100;
    assert.deepStrictEqual((await store.readSnapshot('player-1', 'Player'))?.state, { lives: 3 });
  });
}

function describeRefusals({ it }: Specs): void {
  for (const [what, change, path] of refusedSnapshots) {
    it(`refuses ${what} with InvalidEventError`, async (open) => {
      const store = await open();
      const error = await rejectionOf(store.saveSnapshot({ ...snapshot, ...change }));
      assertInstanceOf(error, InvalidEventError);
      assertMatches(error, { path });
      assert.equal(await store.readSnapshot(snapshot.stream, snapshot.key), undefined);
    });
  }

  it('refuses a snapshot whose fields throw when read, and reads each field once', async (open) => {
    const store = await open();
    const throwing = Object.defineProperty({ ...snapshot }, 'key', {
      enumerable: true,
      get() {
        throw new Error('no key today');
      },
    });
    const error = await rejectionOf(store.saveSnapshot(throwing as never));
    assertInstanceOf(error, InvalidEventError);
    let reads = 0;
    const shifty = Object.defineProperty({ ...snapshot }, 'version', {
      enumerable: true,
      get() {
        reads++;
        return reads === 1 ? 3 : 'three';
      },
    });
    await store.saveSnapshot(shifty as never);
    assert.equal((await store.readSnapshot(snapshot.stream, snapshot.key))?.version, 3);
  });

  it('refuses a state over the snapshot size limit', async (open) => {
    const store = await open({ maxSnapshotBytes: 100 });
    const error = await rejectionOf(store.saveSnapshot({ ...snapshot, state: 'x'.repeat(200) }));
    assertInstanceOf(error, InvalidEventError);
    assert.equal(store.limits.maxSnapshotBytes, 100);
  });

  it('refuses to read with a key that is not a string, with UsageError', async (open) => {
    const store = await open();
    await store.saveSnapshot({ ...snapshot, key: 'undefined' });
    for (const key of [undefined, null, 1, {}, ['Player'], Symbol('Player'), 1n]) {
      const error = await rejectionOf(store.readSnapshot(snapshot.stream, key as never));
      assertInstanceOf(error, UsageError, String(typeof key));
    }
  });

  it('refuses, with UsageError naming now, a snapshot timed by a clock that gives no storable time', async (open) => {
    for (const now of unstorableClocks) {
      const store = await open({ now: now as () => Date });
      const error = await rejectionOf(store.saveSnapshot(snapshot));
      assertInstanceOf(error, UsageError);
      assert.match((error as Error).message, /\bnow\b/);
      assert.equal(await store.readSnapshot(snapshot.stream, snapshot.key), undefined);
    }
  });

  it('rejects with StoreUnavailableError after close', async (open) => {
    const store = await open();
    await store.close();
    await assert.rejects(store.saveSnapshot(snapshot), StoreUnavailableError);
    await assert.rejects(store.readSnapshot('player-1', 'Player'), StoreUnavailableError);
  });
}
