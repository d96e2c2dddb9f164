/**
 * What `LiveActor` promises a cluster, checked with real processes sharing one store: each
 * process has its own connection, its own live feed and its own memory, and one can die mid-write.
 * Every engine that several processes can share runs these same specifications.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainer, type EventStore, type StoredEvent } from '../../src/index.js';
import { Cluster, type WorkerMessage, type WorkerProcess } from './harness.js';
import type { ClusterEngine, FreshSharedStore } from './shared-stores.js';
import { Login, Tally } from './workers/actors.js';
import type { LoginWorkerConfig } from './workers/login-worker.js';
import type { TallyWorkerConfig } from './workers/tally-worker.js';

/** Generous for a 2-core machine running several processes; a hang is reported by the cluster's own deadline first. */
export const CLUSTER_TEST_TIMEOUT_MS = 60_000;

interface FiredMessage extends WorkerMessage {
  readonly confirmed: string[];
  readonly failed: Array<{ id: string; error: string }>;
}

interface ConvergedMessage<State> extends WorkerMessage {
  readonly actors: Array<{ version: number; state: State; appliedVersions?: number[] }>;
  readonly errors: string[];
}

interface TriedMessage extends WorkerMessage {
  readonly results: boolean[];
  readonly failures: string[];
}

/** What a worker reporting each confirmed event was told: the id and the version it was stored at. */
function confirmations(worker: WorkerProcess): Array<{ id: string; version: number }> {
  return worker
    .messagesOf('confirmed')
    .map((message) => ({ id: message['id'] as string, version: message['version'] as number }));
}

function oneTo(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

function idOf(event: StoredEvent): string {
  return (event.data as { id: string }).id;
}

function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}

/** A new actor of `type` loaded from the store, as a process that starts now would see it. */
async function freshlyLoaded<State>(
  type: typeof Tally | typeof Login,
  store: EventStore,
  stream: string,
): Promise<{ version: number; state: State }> {
  const actor = await new type(stream, createContainer({ store })).Load();
  const loaded = { version: actor.version, state: structuredClone(actor.state) as State };
  await actor.Dispose();
  return loaded;
}

export function describeLiveActorCluster(engine: ClusterEngine): void {
  describe(`LiveActor across ${engine.name} processes`, () => {
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

    function startTally(label: string, config: Omit<TallyWorkerConfig, 'label'>): WorkerProcess {
      return cluster.start('tally-worker', label, { label, ...config } satisfies TallyWorkerConfig);
    }

    /** Tells the workers the stream's final version and collects their states once they reach it. */
    async function converge<State>(
      workers: readonly WorkerProcess[],
      version: number,
    ): Promise<Array<ConvergedMessage<State>>> {
      for (const worker of workers) worker.send('converge', { version });
      return Promise.all(workers.map((worker) => worker.message<ConvergedMessage<State>>('converged')));
    }

    it(
      'processes firing at once on one stream store every event exactly once, with no gap, and every ' +
        'process ends with the state a fresh Load gives',
      async () => {
        const stream = 'hot';
        const processes = 4;
        const firers = 5;
        const eventsPerFirer = 20;
        const total = processes * firers * eventsPerFirer;
        // In each process the firers share the process's actor: what they fire while an append is
        // in flight goes out in one batch.
        const workers = oneTo(processes).map((n) =>
          startTally(`p${n}`, { stream, actors: 1, firers, eventsPerFirer }),
        );
        await cluster.go();

        const fired = await Promise.all(workers.map((worker) => worker.message<FiredMessage>('fired')));
        const stored = await fresh.store.readStream(stream);
        expect(stored.map((event) => event.version)).toEqual(oneTo(stored.length));
        expect(new Set(stored.map(idOf)).size).toBe(stored.length);
        // Every Fire landed: none gave up, and what they resolved to is exactly what is stored.
        expect(fired.flatMap((message) => message.failed)).toEqual([]);
        const firedIds = fired.flatMap((message) => message.confirmed);
        expect(firedIds).toHaveLength(total);
        expect(sorted(stored.map(idOf))).toEqual(sorted(firedIds));

        const expected = await freshlyLoaded<unknown>(Tally, fresh.store, stream);
        expect(expected.version).toBe(total);
        const converged = await converge(workers, total);
        for (const message of converged) {
          expect(message.errors).toEqual([]);
          for (const actor of message.actors) {
            expect({ version: actor.version, state: actor.state }).toEqual(expected);
          }
        }
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );

    it(
      'a command re-run on conflict keeps its invariant when every process runs it at once',
      async () => {
        const stream = 'login';
        const workers = oneTo(4).map((n) =>
          cluster.start('login-worker', `p${n}`, {
            stream,
            actors: 5,
            callsPerActor: 4,
          } satisfies LoginWorkerConfig),
        );
        await cluster.go();

        const tried = await Promise.all(workers.map((worker) => worker.message<TriedMessage>('tried')));
        const stored = await fresh.store.readStream(stream);
        expect(stored.map((event) => [event.version, event.name])).toEqual([
          [1, 'login_attempted'],
          [2, 'login_attempted'],
          [3, 'login_attempted'],
        ]);
        expect(tried.flatMap((message) => message.failures)).toEqual([]);
        const results = tried.flatMap((message) => message.results);
        expect(results).toHaveLength(4 * 5 * 4);
        expect(results.filter((result) => result)).toHaveLength(3);

        const converged = await converge(workers, 3);
        for (const message of converged) {
          expect(message.errors).toEqual([]);
          for (const actor of message.actors) expect(actor).toEqual({ version: 3, state: { attempts: 3 } });
        }
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );

    it(
      'a process that loaded before another fires sees every event, in version order, without loading again',
      async () => {
        const stream = 'watched';
        const seeded = 10;
        await fresh.store.appendToStream(
          stream,
          oneTo(seeded).map((n) => ({ name: 'item_added', data: { id: `seed-${n}` } })),
        );
        const listeners = ['b', 'c'].map((label) =>
          startTally(label, { stream, actors: 2, firers: 0, eventsPerFirer: 0 }),
        );
        const writer = startTally('a', { stream, actors: 1, firers: 5, eventsPerFirer: 40 });
        const total = seeded + 5 * 40;
        await cluster.go();
        // Each listener loaded (and said ready) before the writer was let go.
        for (const listener of listeners) {
          expect((await listener.message('ready'))['versions']).toEqual([seeded, seeded]);
        }

        const { failed } = await writer.message<FiredMessage>('fired');
        expect(failed).toEqual([]);
        const expected = await freshlyLoaded<unknown>(Tally, fresh.store, stream);
        expect(expected.version).toBe(total);
        const converged = await converge([...listeners, writer], total);
        for (const message of converged.slice(0, listeners.length)) {
          expect(message.errors).toEqual([]);
          for (const actor of message.actors) {
            // Versions 1..10 came from Load, the rest live: each once, in order, none skipped.
            expect(actor.appliedVersions).toEqual(oneTo(total));
            expect({ version: actor.version, state: actor.state }).toEqual(expected);
          }
        }
        const [written] = converged.slice(listeners.length);
        expect(written?.actors.map((actor) => actor.state)).toEqual([expected.state]);
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );

    it(
      'a process killed while firing loses none of the events it was told were stored, and the ' +
        'others carry on and converge',
      async () => {
        const stream = 'crash';
        const victim = startTally('victim', {
          stream,
          actors: 2,
          firers: 4,
          eventsPerFirer: 'until-stopped',
          reportEachConfirmed: true,
        });
        const survivors = ['s1', 's2'].map((label) =>
          startTally(label, {
            stream,
            actors: 1,
            firers: 3,
            eventsPerFirer: 'until-stopped',
            reportEachConfirmed: true,
          }),
        );
        const confirmedBy = (worker: WorkerProcess) => worker.messagesOf('confirmed').length;
        await cluster.go();

        // Everyone is firing: kill the victim in the middle of it.
        await victim.until(() => confirmedBy(victim) >= 30);
        await Promise.all(survivors.map((survivor) => survivor.until(() => confirmedBy(survivor) >= 10)));
        await victim.kill();

        // The survivors keep storing events after the victim died, then stop. Together: a LiveActor
        // promises no fairness between writers of one hot stream, and a survivor firing in a tight
        // loop may take nearly every append until it stops (then the other's Fires land).
        const confirmedBySurvivors = () =>
          survivors.reduce((sum, survivor) => sum + confirmedBy(survivor), 0);
        const beforeKill = confirmedBySurvivors();
        await Promise.race(
          survivors.map((survivor) => survivor.until(() => confirmedBySurvivors() >= beforeKill + 40)),
        );
        for (const survivor of survivors) survivor.send('stop');
        const fired = await Promise.all(survivors.map((worker) => worker.message<FiredMessage>('fired')));
        const survivorIds = fired.flatMap((message) => message.confirmed);
        // Under this much contention a Fire may run out of retries; it must then say so, and store nothing.
        const refused = fired.flatMap((message) => message.failed);
        for (const { error } of refused) expect(error).toMatch(/^ConcurrencyError/);

        const stored = await fresh.store.readStream(stream);
        const total = stored.length;
        expect(stored.map((event) => event.version)).toEqual(oneTo(total));
        const storedVersionById = new Map(stored.map((event) => [idOf(event), event.version]));
        expect(storedVersionById.size).toBe(total);
        // What each process was told is stored is stored, at the version it was told, the victim included.
        for (const worker of [victim, ...survivors]) {
          for (const { id, version } of confirmations(worker))
            expect(storedVersionById.get(id)).toBe(version);
        }
        for (const id of survivorIds) expect(storedVersionById.has(id)).toBe(true);
        for (const { id } of refused) expect(storedVersionById.has(id)).toBe(false);
        // Nothing else: the rest is what the victim fired, maybe unconfirmed when it died.
        const fromSurvivors = new Set(survivorIds);
        const others = stored.map(idOf).filter((id) => !fromSurvivors.has(id));
        expect(others.filter((id) => !/^victim-\d+-\d+$/.test(id))).toEqual([]);

        const expected = await freshlyLoaded<unknown>(Tally, fresh.store, stream);
        const converged = await converge(survivors, total);
        for (const message of converged) {
          // The error hook heard of the refused events, and of nothing else.
          for (const error of message.errors) expect(error).toMatch(/^append: ConcurrencyError/);
          if (refused.length === 0) expect(message.errors).toEqual([]);
          for (const actor of message.actors) {
            expect({ version: actor.version, state: actor.state }).toEqual(expected);
          }
        }
      },
      CLUSTER_TEST_TIMEOUT_MS,
    );
  });
}
