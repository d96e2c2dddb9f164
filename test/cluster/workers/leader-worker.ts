/**
 * One process of a cluster electing a leader through `LeaseKeeper`, as OneActor and TickActor will.
 * While it leads it appends to `stream` every few milliseconds, with its term as the fencing term
 * (data: which node, which term, a sequence number). It says `elected`, `deposed`, its first append
 * in each term (`acting`, with the wall-clock time, for measuring failover on one machine) and any
 * append refused as fenced.
 *
 * On `stop` it leaves gracefully, the way a layer above hands over: it closes its keeper (the lease
 * is free at once), then appends a `handover` event under its old term, and exits. Every process hears the
 * `handover` through the store's notifications and asks for the lease at once, rather than waiting
 * for the tenure it was told about to end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FencedError } from '../../../src/index.js';
import { LeaseKeeper } from '../../../src/leadership/lease-keeper.js';
import { expectCommand, failOn, finish, readyThenWaitForGo, report } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface LeaderWorkerConfig {
  readonly node: string;
  readonly lease: string;
  readonly stream: string;
  /** The keeper's TTL; the default when absent. */
  readonly ttlMs?: number;
}

export interface Led {
  readonly node: string;
  readonly term: number;
  readonly seq: number;
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as LeaderWorkerConfig;
  const { node, lease, stream } = config;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const keeper = LeaseKeeper.of(store, config.ttlMs === undefined ? {} : { ttlMs: config.ttlMs });
  let leading: number | undefined;
  let seq = 0;

  async function act(term: number): Promise<void> {
    let first = true;
    while (leading === term) {
      try {
        await store.appendToStream(stream, [{ name: 'led', data: { node, term, seq: ++seq } }], {
          fencingTerm: term,
        });
        if (first) report('acting', { term, at: Date.now() });
        first = false;
      } catch (error) {
        if (!(error instanceof FencedError)) throw error;
        report('fenced', { term, currentTerm: error.currentTerm });
      }
      await sleep(10);
    }
  }

  await readyThenWaitForGo();
  const campaign = keeper.campaign(lease, {
    onElected(term) {
      leading = term;
      report('elected', { term, at: Date.now() });
      act(term).catch((error: unknown) => report('failed', { error: String(error) }));
    },
    onDeposed(reason) {
      leading = undefined;
      report('deposed', { reason });
    },
  });

  // Asks at once when the leader says it leaves (the stop below), instead of waiting for its tenure.
  await store.subscribe((notifications) => {
    if (notifications.some((notification) => notification.name === 'handover')) campaign.retryNow();
  });

  await expectCommand('stop');
  const term = leading;
  await keeper.close();
  report('released', { at: Date.now() });
  // Said only once the lease is free: a process hearing it earlier could be refused, and would
  // then wait for the tenure it was told about. Fenced by the old term, so it cannot land after a
  // successor has written (who needs no telling then).
  if (term !== undefined) {
    await store
      .appendToStream(stream, [{ name: 'handover', data: { node, term } }], { fencingTerm: term })
      .catch((error: unknown) => {
        if (!(error instanceof FencedError)) throw error;
      });
  }
  await store.close();
  await finish('stopped');
});
