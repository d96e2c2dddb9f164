/**
 * One process of the leaders benchmarks: `node --import tsx leader-worker.ts <config>`. It opens its
 * own connection to the shared store and campaigns for one lease through `LeaseKeeper`, with the
 * default timing. While it leads, it appends a `led` event to `stream` every `heartbeatMs`, with its
 * term as the fencing term: a heartbeat of work, so that the parent can see from the store who
 * leads and since when.
 *
 * Messages (JSON lines on stdout, times on the machine's monotonic clock, `machineMillis()`):
 * `campaigning` (with its holder id), `elected` and `acting` (its first append of a term stored),
 * `deposed`, `fenced` (an append refused because a later term wrote), `handed-over`.
 *
 * Commands (JSON lines on stdin): `clock` (answered at once); `handover`: the graceful handover a
 * layer above makes — close the campaign (step down and release the lease), then append a
 * `handover` event under the old term, which every other worker hears through the store and
 * answers with `retryNow()`; `campaign`: campaign again after a handover. When stdin closes, the
 * worker closes its keeper and store and exits.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { FencedError } from '../../src/index.js';
import type { CampaignHandle } from '../../src/leadership/campaign.js';
import { LeaseKeeper } from '../../src/leadership/lease-keeper.js';
import { machineMillis } from '../lib/live-actors.js';
import { openStore, type StoreDescription } from '../lib/live-stores.js';
import type { LedData } from '../lib/term-watch.js';

export interface LeaderWorkerConfig {
  readonly store: StoreDescription;
  /** Who writes: one name per process, so that a respawned worker is another writer. */
  readonly node: string;
  readonly lease: string;
  readonly stream: string;
  readonly heartbeatMs: number;
}

function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] as string) as LeaderWorkerConfig;
  const { node, lease, stream } = config;
  const store = await openStore(config.store);
  const keeper = LeaseKeeper.of(store);
  let leading: number | undefined;
  let campaign: CampaignHandle | undefined;

  const append = (name: string, term: number) => {
    const data: LedData = { node, term, sentAt: machineMillis() };
    return store.appendToStream(stream, [{ name, data: { ...data } }], { fencingTerm: term });
  };

  /** The heartbeat of work while this process leads in `term`. */
  async function act(term: number): Promise<void> {
    let first = true;
    while (leading === term) {
      try {
        await append('led', term);
      } catch (error) {
        if (!(error instanceof FencedError)) throw error;
        report('fenced', { term, currentTerm: error.currentTerm });
        return;
      }
      if (first) report('acting', { term, at: machineMillis() });
      first = false;
      await sleep(config.heartbeatMs);
    }
  }

  const start = () => {
    campaign = keeper.campaign(lease, {
      onElected(term) {
        leading = term;
        report('elected', { term, at: machineMillis() });
        act(term).catch((error: unknown) => fail(error));
      },
      onDeposed(reason) {
        leading = undefined;
        report('deposed', { reason, at: machineMillis() });
      },
    });
    report('campaigning', { holder: keeper.holder });
  };

  // Asks at once when the leader says it has left, instead of waiting for its tenure to end.
  await store.subscribe((notifications) => {
    if (notifications.some((notification) => notification.name === 'handover')) campaign?.retryNow();
  });

  const handOver = async () => {
    const term = leading;
    const closingAt = machineMillis();
    await campaign?.close();
    const releasedAt = machineMillis();
    // Said once the lease is free, under the old term: it cannot land after a successor wrote.
    if (term !== undefined) {
      await append('handover', term).catch((error: unknown) => {
        if (!(error instanceof FencedError)) throw error;
      });
    }
    report('handed-over', { term, closingAt, releasedAt, handoverStoredAt: machineMillis() });
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const command = JSON.parse(line) as { type: string };
    if (command.type === 'clock') report('clock', { at: machineMillis() });
    else if (command.type === 'handover') handOver().catch(fail);
    else if (command.type === 'campaign') start();
    else fail(new Error(`unknown command ${command.type}`));
  });
  lines.on('close', () => {
    setTimeout(() => process.exit(0), 3_000).unref();
    void keeper
      .close()
      .then(() => store.close())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });

  start();
}

function fail(error: unknown): void {
  report('failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}

main().catch(fail);
