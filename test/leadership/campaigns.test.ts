/**
 * Campaigns for one lease name between keepers with holders of their own (processes, as far as the
 * store can tell), on every engine processes share: who is elected, when a successor takes over,
 * and the terms they lead in. No timing is asserted: the order of what each campaign was told, and
 * what the store says. Where "at once" matters, the old holder's TTL is a minute, longer than any
 * test may run, so a successor elected at all was elected through the handover, not the expiry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/index.js';
import { LeaseKeeper } from '../../src/leadership/lease-keeper.js';
import { describeWithPostgres } from '../engines/postgres/server.js';
import { describeWithRedis } from '../engines/redis/server.js';
import {
  eventually,
  memoryEngine,
  postgresEngine,
  redisEngine,
  Recorder,
  sqliteFileEngine,
  WatchedStore,
  type LeadershipEngine,
} from './fixtures.js';

const A_MINUTE = 60_000;
const SHORT_TTL = 600;

function describeCampaigns(engine: LeadershipEngine): void {
  describe(`campaigns on ${engine.name}`, () => {
    let opened: ReturnType<LeadershipEngine['open']>;
    let keepers: LeaseKeeper[];
    let recorder: Recorder;

    beforeEach(() => {
      opened = engine.open();
      keepers = [];
      recorder = new Recorder();
    });

    afterEach(async () => {
      await Promise.all(keepers.map((keeper) => keeper.close()));
      await opened.close();
    });

    function keeper(ttlMs: number, store: EventStore = opened.connect()): LeaseKeeper {
      const made = new LeaseKeeper(store, { ttlMs });
      keepers.push(made);
      return made;
    }

    it('elects a lone campaign, which the store then names as the holder', async () => {
      const a = keeper(SHORT_TTL);
      const campaign = a.campaign('leader:solo', recorder.callbacks('a'));
      await eventually(() => campaign.current !== undefined, 'a is elected');
      const lease = await opened.connect().readLease('leader:solo');
      expect(lease.held?.holder).toBe(a.holder);
      expect(lease.held?.term).toBe(campaign.current);
      expect(recorder.told).toEqual([{ who: 'a', what: 'elected', term: campaign.current }]);
    });

    it('refuses a second holder while the first leads, and elects it at once when the first closes', async () => {
      const a = keeper(A_MINUTE).campaign('leader:x', recorder.callbacks('a'));
      await eventually(() => a.current !== undefined, 'a is elected');
      const bStore = new WatchedStore(opened.connect());
      const b = keeper(SHORT_TTL, bStore.store).campaign('leader:x', recorder.callbacks('b'));
      await eventually(() => bStore.answered('acquireLease') >= 1, 'b was refused');
      expect(b.current).toBeUndefined();
      await a.close();
      expect((await opened.connect().readLease('leader:x')).held).toBeUndefined();
      // What a layer above does when it hears, through the store, that the leader left.
      b.retryNow();
      await eventually(() => b.current !== undefined, 'b is elected');
      expect(recorder.told.map((told) => `${told.who} ${told.what}`)).toEqual([
        'a elected',
        'a deposed',
        'b elected',
      ]);
      expect(recorder.told[1]).toMatchObject({ reason: 'closed' });
      expect(recorder.elections('b')[0]).toBeGreaterThan(recorder.elections('a')[0] as number);
    });

    it('elects a standby without any signal once a closed leader’s tenure would have ended', async () => {
      const a = keeper(SHORT_TTL).campaign('leader:y', recorder.callbacks('a'));
      await eventually(() => a.current !== undefined, 'a is elected');
      const b = keeper(SHORT_TTL).campaign('leader:y', recorder.callbacks('b'));
      await a.close();
      await eventually(() => b.current !== undefined, 'b is elected');
      expect(recorder.told.map((told) => `${told.who} ${told.what}`)).toEqual([
        'a elected',
        'a deposed',
        'b elected',
      ]);
    });

    it('elects a standby after a leader cut off from the store has stepped down, never before', async () => {
      const aStore = new WatchedStore(opened.connect());
      const a = keeper(SHORT_TTL, aStore.store).campaign('leader:z', recorder.callbacks('a'));
      await eventually(() => a.current !== undefined, 'a is elected');
      const b = keeper(SHORT_TTL).campaign('leader:z', recorder.callbacks('b'));
      // From the store's side, a dead process: a stops renewing and releases nothing.
      aStore.cutOff();
      await eventually(() => b.current !== undefined, 'b is elected');
      expect(recorder.told.slice(0, 3)).toEqual([
        { who: 'a', what: 'elected', term: recorder.elections('a')[0] },
        { who: 'a', what: 'deposed', reason: 'expiring' },
        { who: 'b', what: 'elected', term: recorder.elections('b')[0] },
      ]);
      expect(a.current).toBeUndefined();
    });

    it('grants strictly increasing terms across takeovers', async () => {
      const [a, b] = [keeper(A_MINUTE), keeper(A_MINUTE)] as const;
      let leader = a.campaign('leader:terms', recorder.callbacks('a'));
      await eventually(() => leader.current !== undefined, 'a is elected');
      for (let takeover = 1; takeover <= 4; takeover++) {
        const [who, next] = takeover % 2 === 1 ? ['b', b] : ['a', a];
        const standby = next.campaign('leader:terms', recorder.callbacks(who));
        await leader.close();
        standby.retryNow();
        await eventually(() => standby.current !== undefined, `${who} is elected`);
        leader = standby;
      }
      const terms = recorder.elections();
      expect(terms).toHaveLength(5);
      for (let index = 1; index < terms.length; index++) {
        expect(terms[index]).toBeGreaterThan(terms[index - 1] as number);
      }
    });

    it('frees every lease of a keeper at once when it closes', async () => {
      const a = keeper(A_MINUTE);
      const names = ['leader:1', 'leader:2', 'leader:3'];
      const mine = names.map((name) => a.campaign(name, recorder.callbacks(`a ${name}`)));
      await eventually(() => mine.every((c) => c.current !== undefined), 'a leads every name');
      const bStore = new WatchedStore(opened.connect());
      const b = keeper(SHORT_TTL, bStore.store);
      const theirs = names.map((name) => b.campaign(name, recorder.callbacks(`b ${name}`)));
      await eventually(() => bStore.answered('acquireLease') >= names.length, 'b was refused every name');
      await a.close();
      for (const name of names) expect((await opened.connect().readLease(name)).held).toBeUndefined();
      expect(mine.every((c) => c.current === undefined)).toBe(true);
      for (const campaign of theirs) campaign.retryNow();
      await eventually(() => theirs.every((c) => c.current !== undefined), 'b leads every name');
      for (const name of names) {
        expect(recorder.indexOf(`a ${name}`, 'deposed')).toBeLessThan(
          recorder.indexOf(`b ${name}`, 'elected'),
        );
      }
    });
  });
}

describeCampaigns(memoryEngine);
describeCampaigns(sqliteFileEngine);
describeWithPostgres('PostgreSQL', () => describeCampaigns(postgresEngine));
describeWithRedis('Redis', () => describeCampaigns(redisEngine));
