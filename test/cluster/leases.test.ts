/**
 * Leases across real processes: three processes sharing one store (a SQLite file, a PostgreSQL
 * schema) contend for one lease for a few seconds, each acting as a leader while it believes it
 * holds the lease (`workers/lease-worker.ts`), pausing past its TTL now and then. A checker then
 * reads the store and proves what leases and fencing promise together: terms in the stream never
 * go back, no two holders were granted or wrote under one term, and every append made under a
 * stale term after a successor had written was refused with `FencedError`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/index.js';
import { describeWithPostgres } from '../engines/postgres/server.js';
import { Cluster } from './harness.js';
import { CLUSTER_TEST_TIMEOUT_MS } from './live-actor-cluster.js';
import {
  postgresCluster,
  redisCluster,
  sqliteCluster,
  type ClusterEngine,
  type FreshSharedStore,
} from './shared-stores.js';
import type { LeaseWorkerConfig, LeaseWorkerReport } from './workers/lease-worker.js';
import { describeWithRedis } from '../engines/redis/server.js';

const HOLDERS = ['node-a', 'node-b', 'node-c'];

interface Led {
  readonly holder: string;
  readonly term: number;
  readonly seq: number;
}

function describeLeaseContention(engine: ClusterEngine): void {
  describe(`three processes contending for one lease on ${engine.name}`, () => {
    let fresh: FreshSharedStore;
    let cluster: Cluster;

    beforeEach(async () => {
      fresh = await engine.create();
      cluster = new Cluster(fresh.shared);
    });

    afterEach(async () => {
      await cluster.stop();
      await fresh.dispose();
    });

    it(
      'never lets a stale term write after its successor, nor two holders share a term',
      async () => {
        const workers = HOLDERS.map((holder) =>
          cluster.start('lease-worker', holder, {
            holder,
            lease: 'leader:ledger',
            stream: 'ledger',
            ttlMs: 300,
            durationMs: 4_000,
          } satisfies LeaseWorkerConfig),
        );
        await cluster.go();
        const reports = await Promise.all(
          workers.map(async (worker) => (await worker.message('done'))['report'] as LeaseWorkerReport),
        );
        const stored = await fresh.store.readStream('ledger');
        const total = (pick: (report: LeaseWorkerReport) => number) =>
          reports.reduce((sum, report) => sum + pick(report), 0);
        console.log(
          `${engine.name}: ${total((r) => r.grants.length)} grants, ${stored.length} appends stored, ` +
            `${total((r) => r.fenced.length)} refused as fenced, ${total((r) => r.pauses)} pauses, ` +
            `${total((r) => r.releases)} releases`,
        );
        checkStream(stored);
        checkReports(stored, reports);
        // Not vacuous: several holders led, and stale appends were made and refused.
        expect(new Set(stored.map((event) => (event.data as Led).holder)).size).toBeGreaterThan(1);
        expect(reports.flatMap((report) => report.fenced).length).toBeGreaterThan(0);
        // Every holder released itself on the way out.
        expect((await fresh.store.readLease('leader:ledger')).held).toBeUndefined();
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}

/** Terms never go back along the stream, and each term was written by one holder only. */
function checkStream(stored: readonly StoredEvent[]): void {
  const writerOfTerm = new Map<number, string>();
  let previous = 0;
  for (const event of stored) {
    const { holder, term } = event.data as Led;
    expect(term, `version ${event.version}`).toBeGreaterThanOrEqual(previous);
    previous = term;
    expect(writerOfTerm.get(term) ?? holder, `term ${term}`).toBe(holder);
    writerOfTerm.set(term, holder);
  }
}

/** Each term granted once; what each process was told stored is stored, what was refused is not. */
function checkReports(stored: readonly StoredEvent[], reports: readonly LeaseWorkerReport[]): void {
  const grantee = new Map<number, string>();
  for (const [index, report] of reports.entries()) {
    const holder = HOLDERS[index] as string;
    for (const { term } of report.grants) {
      expect(grantee.get(term), `term ${term} granted twice`).toBeUndefined();
      grantee.set(term, holder);
    }
    const storedSeqs = new Map(
      stored
        .filter((event) => (event.data as Led).holder === holder)
        .map((event) => [(event.data as Led).seq, event.version]),
    );
    for (const { seq, version } of report.stored) expect(storedSeqs.get(seq)).toBe(version);
    for (const { seq, term, currentTerm } of report.fenced) {
      expect(storedSeqs.has(seq), `${holder}'s refused append ${seq} is stored`).toBe(false);
      expect(currentTerm).toBeGreaterThan(term);
    }
    expect(storedSeqs.size).toBe(report.stored.length);
  }
  for (const event of stored) {
    const { holder, term } = event.data as Led;
    expect(grantee.get(term), `term ${term} written by ${holder}`).toBe(holder);
  }
}

describeLeaseContention(sqliteCluster);

describeWithPostgres('PostgreSQL', () => {
  describeLeaseContention(postgresCluster);
});

describeWithRedis('Redis', () => {
  describeLeaseContention(redisCluster);
});
