/**
 * One process of a cluster that fires on one stream, or only listens to it.
 *
 * It loads `actors` `Tally` actors on `stream` (each its own instance, all on this process's one
 * connection), says `ready`, and on `go` runs `firers` concurrent firers, firer f firing through
 * actor f % actors: even firers await each event before the next, odd ones fire in bursts of four.
 * Each event carries a unique id. A firer stops after `eventsPerFirer` events, or, when that is
 * `'until-stopped'`, once the parent sends `stop`. The worker then reports every id whose `Fire`
 * resolved (`fired`), waits for `converge` with the stream's final version, waits until every
 * actor has reached it through the live feed alone — it never calls `Load` again — and reports
 * each actor's state.
 *
 * With `reportEachConfirmed`, it also reports each id as soon as its `Fire` resolves (`confirmed`),
 * so that a parent that kills it knows what it was told was stored.
 */
import { createContainer, type StoredEvent } from '../../../src/index.js';
import { Tally } from './actors.js';
import { expectCommand, failOn, finish, readyThenWaitForGo, report, until } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface TallyWorkerConfig {
  readonly label: string;
  readonly stream: string;
  readonly actors: number;
  readonly firers: number;
  readonly eventsPerFirer: number | 'until-stopped';
  readonly reportEachConfirmed?: boolean;
}

const BURST = 4;

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as TallyWorkerConfig;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const reportedErrors: string[] = [];
  const container = createContainer({
    store,
    onError: (error, context) => reportedErrors.push(`${context.operation}: ${String(error)}`),
  });
  const actors = await Promise.all(
    Array.from({ length: config.actors }, () => new Tally(config.stream, container).Load()),
  );
  await readyThenWaitForGo({ versions: actors.map((actor) => actor.version) });

  let stopped = false;
  if (config.eventsPerFirer === 'until-stopped') {
    void expectCommand('stop').then(() => (stopped = true));
  }
  const wanted = config.eventsPerFirer;
  const more = (fired: number) => (wanted === 'until-stopped' ? !stopped : fired < wanted);
  const confirmed: string[] = [];
  const failed: Array<{ id: string; error: string }> = [];

  async function fire(actor: Tally, id: string): Promise<void> {
    let stored: StoredEvent;
    try {
      stored = await actor.Add(id);
    } catch (error) {
      failed.push({ id, error: String(error) });
      return;
    }
    confirmed.push(id);
    if (config.reportEachConfirmed) report('confirmed', { id, version: stored.version });
  }

  async function firer(index: number): Promise<void> {
    const actor = actors[index % actors.length] as Tally;
    const burst = index % 2 === 0 ? 1 : BURST;
    for (let fired = 0; more(fired);) {
      const firing: Promise<void>[] = [];
      for (let inBurst = 0; inBurst < burst && more(fired); inBurst++) {
        firing.push(fire(actor, `${config.label}-${index}-${++fired}`));
      }
      await Promise.all(firing);
      // An append to SQLite completes within the call, so a loop of awaited Fires could run on
      // microtasks alone: let timers and I/O (the live feed, the parent's commands) in between.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  await Promise.all(Array.from({ length: config.firers }, (_, index) => firer(index)));
  report('fired', { confirmed, failed });

  const { version } = (await expectCommand('converge')) as unknown as { version: number };
  await until(
    () => actors.every((actor) => actor.version === version && actor.confirmedVersion === version),
    () => actors.map((actor) => ({ version: actor.version, confirmed: actor.confirmedVersion })),
  );
  const states = actors.map((actor) => ({
    version: actor.version,
    state: actor.state,
    // What a listener saw arrive (a firer's list also holds the re-applications of its rebases).
    ...(config.firers === 0 ? { appliedVersions: actor.appliedVersions } : {}),
  }));
  await Promise.all(actors.map((actor) => actor.Dispose()));
  await store.close();
  await finish('converged', { actors: states, errors: reportedErrors });
});
