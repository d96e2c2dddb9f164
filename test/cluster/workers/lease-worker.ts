/**
 * One process contending for a lease with others, for `durationMs` after `go`. It acts as a leader
 * would, at random: while it believes it holds the lease it appends to `stream` with its term as
 * the fencing term (data: who, which term, a sequence number), renews its tenure once a third of
 * the TTL has passed, now and then releases the lease, and now and then pauses past its TTL (a GC
 * pause) and then appends under its old term without checking. While it holds nothing it asks for
 * the lease. It reports every grant, every append stored and every append refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FencedError } from '../../../src/index.js';
import { failOn, finish, readyThenWaitForGo } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface LeaseWorkerConfig {
  readonly holder: string;
  readonly lease: string;
  readonly stream: string;
  readonly ttlMs: number;
  readonly durationMs: number;
}

export interface LeaseWorkerReport {
  readonly grants: Array<{ term: number }>;
  readonly stored: Array<{ seq: number; term: number; version: number }>;
  readonly fenced: Array<{ seq: number; term: number; currentTerm: number }>;
  pauses: number;
  releases: number;
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as LeaseWorkerConfig;
  const { holder, lease, stream, ttlMs } = config;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  await readyThenWaitForGo();

  const report: LeaseWorkerReport = { grants: [], stored: [], fenced: [], pauses: 0, releases: 0 };
  /** The term this process believes it leads in, and when (its own monotonic clock) it last renewed. */
  let belief: { term: number; renewedAt: number } | undefined;
  let seq = 0;

  async function append(term: number): Promise<void> {
    const mine = ++seq;
    try {
      const result = await store.appendToStream(
        stream,
        [{ name: 'led', data: { holder, term, seq: mine } }],
        {
          fencingTerm: term,
        },
      );
      report.stored.push({ seq: mine, term, version: result.version });
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      report.fenced.push({ seq: mine, term, currentTerm: error.currentTerm });
      belief = undefined;
    }
  }

  const end = performance.now() + config.durationMs;
  while (performance.now() < end) {
    if (belief === undefined) {
      const answer = await store.acquireLease(lease, { holder, ttlMs });
      if (answer.granted) {
        belief = { term: answer.term, renewedAt: performance.now() };
        report.grants.push({ term: answer.term });
        await append(answer.term);
      } else {
        await sleep(Math.min(answer.expiresInMs, 5 + Math.random() * 20));
      }
      continue;
    }
    const dice = Math.random();
    if (dice < 0.03) {
      // A pause past the lease: the others may take it meanwhile; this process does not check.
      report.pauses++;
      await sleep(ttlMs * 2);
      await append(belief.term);
      continue;
    }
    if (dice < 0.06) {
      report.releases++;
      await store.releaseLease(lease, holder);
      belief = undefined;
      await sleep(10);
      continue;
    }
    if (performance.now() - belief.renewedAt > ttlMs / 3) {
      const renewal = await store.renewLeases(holder, ttlMs);
      if (renewal === undefined) belief = undefined;
      else belief.renewedAt = performance.now();
      continue;
    }
    await append(belief.term);
    await sleep(2 + Math.random() * 8);
  }
  await store.releaseHolder(holder);
  await store.close();
  await finish('done', { report });
});
