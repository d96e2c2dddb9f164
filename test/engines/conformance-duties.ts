/**
 * The conformance of the engine duties beyond events: fencing terms on appends, snapshots, and
 * notifications of stored events. Registered by `describeEngineConformance` inside its own
 * `describe`, with its `open` (which closes every store after its test).
 */
import { describe, expect, it } from 'vitest';
import type { EventNotification, EventStore, StoreOptions } from '../../src/engines/engine.js';
import { FencedError, InvalidEventError, StoreUnavailableError } from '../../src/errors.js';

type Open = (options?: StoreOptions) => Promise<EventStore>;

/** Collects notifications until `count` distinct positions have arrived. */
function collector() {
  const received: EventNotification[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const distinct = () => new Set(received.map((notification) => notification.position)).size;
  return {
    received,
    listener: (notifications: readonly EventNotification[]) => {
      received.push(...notifications);
      for (const waiter of [...waiters]) {
        if (distinct() >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    /** Resolves once `count` distinct events were notified; fails the test after 10 s. */
    until(count: number): Promise<void> {
      if (distinct() >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${distinct()} of ${count} events were notified`)),
          10_000,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    positions: () =>
      [...new Set(received.map((notification) => notification.position))].sort((a, b) => a - b),
  };
}

export function describeEngineDuties(open: Open): void {
  describe('fencing terms', () => {
    it('refuses an append with a lower term than one that already wrote, and stores nothing', async () => {
      const store = await open();
      await store.appendToStream('leader', [{ name: 'ruled' }], { fencingTerm: 2 });
      const error = await store
        .appendToStream('leader', [{ name: 'stale' }], { fencingTerm: 1 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FencedError);
      expect(error).toMatchObject({ code: 'FENCED', stream: 'leader', term: 1, currentTerm: 2 });
      expect((await store.readStream('leader')).map((event) => event.name)).toEqual(['ruled']);
    });

    it('remembers the highest term that wrote, and accepts the same or a higher one', async () => {
      const store = await open();
      await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 1 });
      await store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 1 });
      await store.appendToStream('leader', [{ name: 'c' }], { fencingTerm: 5 });
      await expect(
        store.appendToStream('leader', [{ name: 'd' }], { fencingTerm: 4 }),
      ).rejects.toBeInstanceOf(FencedError);
      await store.appendToStream('leader', [{ name: 'e' }], { fencingTerm: 5 });
      expect(await store.streamVersion('leader')).toBe(4);
    });

    it('leaves the term alone for appends without one, which are never fenced', async () => {
      const store = await open();
      await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 3 });
      await store.appendToStream('leader', [{ name: 'b' }]);
      await expect(
        store.appendToStream('leader', [{ name: 'c' }], { fencingTerm: 2 }),
      ).rejects.toBeInstanceOf(FencedError);
      await store.appendToStream('leader', [{ name: 'd' }], { fencingTerm: 3 });
    });

    it('fences each stream on its own', async () => {
      const store = await open();
      await store.appendToStream('one', [{ name: 'a' }], { fencingTerm: 9 });
      await store.appendToStream('two', [{ name: 'a' }], { fencingTerm: 1 });
      expect(await store.streamVersion('two')).toBe(1);
    });

    it('checks the fence before the expected version', async () => {
      const store = await open();
      await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
      await expect(
        store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 1, expectedVersion: 0 }),
      ).rejects.toBeInstanceOf(FencedError);
    });

    it('fences an append of no events too, which leaves the term as it is', async () => {
      const store = await open();
      await store.appendToStream('leader', [{ name: 'a' }], { fencingTerm: 2 });
      await expect(store.appendToStream('leader', [], { fencingTerm: 1 })).rejects.toBeInstanceOf(
        FencedError,
      );
      expect(await store.appendToStream('leader', [], { fencingTerm: 7 })).toEqual({
        stream: 'leader',
        events: [],
        version: 1,
      });
      await store.appendToStream('leader', [{ name: 'b' }], { fencingTerm: 3 });
      expect(await store.streamVersion('leader')).toBe(2);
    });

    it('refuses a term that is not a whole number >= 1 with InvalidEventError', async () => {
      const store = await open();
      for (const term of [0, -1, 1.5, Number.NaN, '2']) {
        const error = await store
          .appendToStream('leader', [{ name: 'a' }], { fencingTerm: term as number })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidEventError);
        expect(error).toMatchObject({ path: 'fencingTerm' });
      }
      expect(await store.streamVersion('leader')).toBe(0);
    });
  });

  describe('snapshots', () => {
    const snapshot = {
      stream: 'player-1',
      key: 'Player',
      version: 3,
      fingerprint: 'f1',
      state: { lives: 3 },
    };

    it('saves and reads back the newest snapshot of a stream for a key', async () => {
      const store = await open({ now: () => new Date('2030-05-06T07:08:09.000Z') });
      expect(await store.readSnapshot('player-1', 'Player')).toBeUndefined();
      await store.saveSnapshot(snapshot);
      expect(await store.readSnapshot('player-1', 'Player')).toEqual({
        ...snapshot,
        at: '2030-05-06T07:08:09.000Z',
      });
      await store.saveSnapshot({
        ...snapshot,
        version: 7,
        fingerprint: 'f2',
        state: { lives: 7, tags: ['é', null] },
      });
      expect(await store.readSnapshot('player-1', 'Player')).toMatchObject({
        version: 7,
        fingerprint: 'f2',
        state: { lives: 7, tags: ['é', null] },
      });
    });

    it('never replaces a snapshot with an older one', async () => {
      const store = await open();
      await store.saveSnapshot({ ...snapshot, version: 9, state: { lives: 9 } });
      await store.saveSnapshot({ ...snapshot, version: 4, state: { lives: 4 } });
      expect(await store.readSnapshot('player-1', 'Player')).toMatchObject({
        version: 9,
        state: { lives: 9 },
      });
    });

    it('replaces a snapshot with one of the same version', async () => {
      const store = await open();
      await store.saveSnapshot(snapshot);
      await store.saveSnapshot({ ...snapshot, fingerprint: 'f2', state: { lives: 30 } });
      expect(await store.readSnapshot('player-1', 'Player')).toMatchObject({
        version: 3,
        fingerprint: 'f2',
        state: { lives: 30 },
      });
    });

    it('keeps one snapshot per stream and key', async () => {
      const store = await open();
      await store.saveSnapshot(snapshot);
      await store.saveSnapshot({ ...snapshot, key: 'User', state: { loggedIn: true } });
      await store.saveSnapshot({ ...snapshot, stream: 'player-2', state: { lives: 0 } });
      expect((await store.readSnapshot('player-1', 'Player'))?.state).toEqual({ lives: 3 });
      expect((await store.readSnapshot('player-1', 'User'))?.state).toEqual({ loggedIn: true });
      expect((await store.readSnapshot('player-2', 'Player'))?.state).toEqual({ lives: 0 });
      expect(await store.readSnapshot('player-3', 'Player')).toBeUndefined();
    });

    it('returns a state the caller can change without changing the store', async () => {
      const store = await open();
      await store.saveSnapshot(snapshot);
      const read = await store.readSnapshot('player-1', 'Player');
      (read?.state as { lives: number }).lives = 100;
      expect((await store.readSnapshot('player-1', 'Player'))?.state).toEqual({ lives: 3 });
    });

    it.each([
      ['a state that is not JSON-safe', { state: { n: 1n } }, 'snapshot.state.n'],
      ['an empty key', { key: '' }, 'snapshot.key'],
      ['an empty fingerprint', { fingerprint: '' }, 'snapshot.fingerprint'],
      ['a key with a NUL', { key: 'a\u0000b' }, 'snapshot.key'],
      ['a version below 1', { version: 0 }, 'snapshot.version'],
      ['an invalid stream id', { stream: 'a\nb' }, 'snapshot.stream'],
    ])('refuses %s with InvalidEventError', async (_case, change, path) => {
      const store = await open();
      const error = await store.saveSnapshot({ ...snapshot, ...change }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toMatchObject({ path });
      expect(await store.readSnapshot(snapshot.stream, snapshot.key)).toBeUndefined();
    });

    it('refuses a state over the snapshot size limit', async () => {
      const store = await open({ maxSnapshotBytes: 100 });
      const error = await store
        .saveSnapshot({ ...snapshot, state: 'x'.repeat(200) })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(store.limits.maxSnapshotBytes).toBe(100);
    });

    it('rejects with StoreUnavailableError after close', async () => {
      const store = await open();
      await store.close();
      await expect(store.saveSnapshot(snapshot)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readSnapshot('player-1', 'Player')).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  describe('notifications', () => {
    it('notifies a subscriber of every event stored after it subscribed, with the event', async () => {
      const store = await open();
      await store.appendToStream('before', [{ name: 'old' }]);
      const seen = collector();
      const subscription = await store.subscribe(seen.listener);
      await store.appendToStream('a', [{ name: 'one', data: { n: 1 } }, { name: 'two' }]);
      await store.appendToStream('b', [{ name: 'three' }]);
      await seen.until(3);
      await subscription.close();
      const byPosition = new Map(seen.received.map((notification) => [notification.position, notification]));
      const stored = (await store.readAll()).slice(1);
      expect(seen.positions()).toEqual(stored.map((event) => event.position));
      for (const event of stored) {
        const notification = byPosition.get(event.position);
        expect(notification).toMatchObject({
          stream: event.stream,
          version: event.version,
          name: event.name,
          position: event.position,
        });
        if (notification?.event !== undefined) expect(notification.event).toEqual(event);
      }
    });

    it('catches up from a position given with after, then goes on live', async () => {
      const store = await open();
      await store.appendToStream('s', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
      const [first] = await store.readAll({ limit: 1 });
      const seen = collector();
      const subscription = await store.subscribe(seen.listener, { after: first?.position ?? 0 });
      await store.appendToStream('s', [{ name: 'd' }]);
      await seen.until(3);
      await subscription.close();
      const all = await store.readAll();
      expect(seen.positions()).toEqual(all.slice(1).map((event) => event.position));
    });

    it('serves several subscribers, and a closed one hears nothing more', async () => {
      const store = await open();
      const first = collector();
      const second = collector();
      const one = await store.subscribe(first.listener);
      const two = await store.subscribe(second.listener);
      await store.appendToStream('s', [{ name: 'a' }]);
      await Promise.all([first.until(1), second.until(1)]);
      await one.close();
      await store.appendToStream('s', [{ name: 'b' }]);
      await second.until(2);
      await two.close();
      expect(first.positions()).toHaveLength(1);
      expect(second.positions()).toHaveLength(2);
    });

    it('keeps notifying after a listener throws', async () => {
      const store = await open();
      const errors: unknown[] = [];
      const seen = collector();
      let calls = 0;
      const subscription = await store.subscribe(
        (notifications) => {
          calls++;
          seen.listener(notifications);
          if (calls === 1) throw new Error('listener failed');
        },
        { onError: (error) => errors.push(error) },
      );
      await store.appendToStream('s', [{ name: 'a' }]);
      await seen.until(1);
      await store.appendToStream('s', [{ name: 'b' }]);
      await seen.until(2);
      await subscription.close();
      expect(errors).toHaveLength(1);
    });

    it('notifies every event of many concurrent appends', async () => {
      const store = await open();
      const seen = collector();
      const subscription = await store.subscribe(seen.listener);
      await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          (async () => {
            for (let index = 0; index < 10; index++) {
              await store.appendToStream(`stream-${writer % 4}`, [{ name: 'e', data: { writer, index } }]);
            }
          })(),
        ),
      );
      await seen.until(200);
      await subscription.close();
      expect(seen.positions()).toEqual((await store.readAll()).map((event) => event.position));
    });

    it('refuses to subscribe after close', async () => {
      const store = await open();
      await store.close();
      await expect(store.subscribe(() => undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}
