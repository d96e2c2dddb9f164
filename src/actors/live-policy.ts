/**
 * The policy of `LiveActor`: apply at `Fire`, append expecting the confirmed version, rebase on a
 * conflict, hear every other writer through the live feed, and re-run `RerunOnConflict` commands.
 *
 * Hot streams: what the feed brings is held (`#heard`) until the actor's lane applies it, so that
 * an append can take it first. Before each append the actor applies what it has heard (it would
 * otherwise expect a version the stream has left, and conflict for nothing); after a conflict it
 * waits for the feed to bring the winners up to the version the store reported, rather than
 * pausing at random and reading them, and reads only if the feed is slow. The appends of one
 * process to one stream take turns (`stream-lanes.ts`), and each hands its stored events to the
 * feed at once, so actors of one id in one process never conflict with each other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, UsageError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { LiveFeed, type LiveWatch } from '../live/live-feed.js';
import { ActorSnapshots } from './actor-snapshots.js';
import { logQuietly, logsAt } from '../container.js';
import { appendOnce, appendPending, logStored, losingTooLong } from './append-pending.js';
import { inStreamLane } from './stream-lanes.js';
import type { ActorMachinery, FiredEvent, KindPolicy } from './kind-policy.js';
import { OptimisticState } from './optimistic-state.js';
import { isThenable } from './thenable.js';

/**
 * How long a conflicted append waits for the live feed to bring the winners before reading them:
 * the winners committed before the conflict was reported, so their notification is on its way.
 */
const HEAR_WINNERS_WAIT_MS = 20;

export class LivePolicy implements KindPolicy {
  readonly #machinery: ActorMachinery;
  readonly #local: OptimisticState;
  readonly #snapshots: ActorSnapshots;
  #watch: Promise<LiveWatch> | undefined;
  #feed: LiveFeed | undefined;
  /** Applying what the live feed brought (others' events): no snapshot is taken for those. */
  #hearing = false;
  /** Delivered by the feed (in version order, without gaps), not yet applied. */
  #heard: StoredEvent[] | undefined;
  /** An application of `#heard` is queued in the actor's lane. */
  #receiveQueued = false;
  /** Told whenever the feed delivers: a conflicted append waiting for its winners. */
  #onHeard: (() => void) | undefined;

  constructor(machinery: ActorMachinery) {
    this.#machinery = machinery;
    const snapshots = new ActorSnapshots(machinery);
    this.#snapshots = snapshots;
    // Snapshots are taken where events are stored or loaded, not where they are only heard: every
    // node holding the actor would otherwise save the same one, each taking the store's write lock.
    this.#local = new OptimisticState(machinery, (events, pending) => {
      if (!this.#hearing) snapshots.confirmed(events, pending);
    });
  }

  get confirmedVersion(): number {
    return this.#local.confirmedVersion;
  }

  fired(fired: FiredEvent, rerunnable: boolean): void {
    this.#local.applyFired(fired, rerunnable);
  }

  async appendFired(batch: FiredEvent[]): Promise<void> {
    const machinery = this.#machinery;
    await inStreamLane(machinery.container.store, machinery.id, async () => {
      await this.#applyHeard();
      const stored = await appendPending(
        machinery,
        this.#local,
        batch,
        () => this.#readWinners(),
        undefined,
        (actual) => this.#learnWinners(actual),
      );
      this.#feed?.stored(machinery.id, stored);
    });
  }

  async catchUp(): Promise<void> {
    await this.#snapshots.restore(() => this.#local.pendingCount === 0);
    await this.#readWinners();
  }

  async afterLoad(): Promise<void> {
    if (this.#watch !== undefined) return;
    const machinery = this.#machinery;
    const feed = LiveFeed.of(machinery.container.store, machinery.container.logger);
    this.#feed = feed;
    this.#watch = feed.watch(machinery.id, this.#local.confirmedVersion + 1, (events) => {
      if (machinery.disposed()) return;
      this.#hear(events);
    });
    try {
      await this.#watch;
    } catch (error) {
      this.#watch = undefined;
      throw error;
    }
  }

  async dispose(): Promise<void> {
    const watch = this.#watch;
    this.#watch = undefined;
    this.#heard = undefined;
    (await watch?.catch(() => undefined))?.close();
  }

  rerunOnConflict<R>(command: () => R): Promise<R> {
    this.#machinery.refuseCommand('RerunOnConflict');
    const run = this.#rerun(command);
    this.#machinery.track(run);
    return run;
  }

  async #rerun<R>(command: () => R): Promise<R> {
    const machinery = this.#machinery;
    const since = performance.now();
    for (let attempt = 1; ; attempt++) {
      // The command decides on stored events only: an event still pending would land after the
      // command's own, so the command must not see it. Wait until nothing is pending.
      for (;;) {
        await machinery.drained();
        // After a conflict the winners were just learnt; what came since is in the feed's hands.
        await machinery.exclusive(() => (attempt === 1 ? this.#readWinners() : this.#applyHeard()));
        if (this.#local.pendingCount === 0) break;
        // Another command's events are in flight: let them land (and timers run) before looking again.
        await sleep(1);
      }
      // The command decides on this version: its events land right after it, or not at all.
      const decidedOn = this.#local.confirmedVersion;
      const run = machinery.captureFired(command);
      const { fired } = run;
      if (run.threw || (isThenable(run.result) && !fired.some((each) => each.promise === run.result))) {
        const refusal = run.threw
          ? run.error
          : new UsageError(
              'a command run by RerunOnConflict must be synchronous: it runs again on a conflict',
            );
        // A promise the command returned would reject with its dropped events: nobody awaits it.
        if (!run.threw) Promise.resolve(run.result).catch(() => undefined);
        // The command refused (or cannot be re-run): what it fired is dropped, never stored.
        this.#local.drop(fired);
        for (const each of fired) each.reject(refusal);
        throw refusal;
      }
      if (fired.length === 0) return run.result;
      try {
        await machinery.exclusive(() =>
          inStreamLane(machinery.container.store, machinery.id, () => this.#appendDecided(fired, decidedOn)),
        );
        return run.result;
      } catch (error) {
        for (const each of fired) each.reject(error);
        if (!(error instanceof ConcurrencyError) || losingTooLong(attempt, since)) {
          machinery.reportFailure(error, 'append', fired.map((each) => each.event.name).join(', '));
          throw error;
        }
        const { logger } = machinery.container;
        if (logsAt(logger, 'debug')) {
          logQuietly(
            logger,
            'debug',
            `${machinery.className} "${machinery.id}" met a conflict: its command decided on version ${decidedOn}, the stream is at ${error.actual}; running the command again`,
            {
              actor: machinery.className,
              stream: machinery.id,
              expected: decidedOn,
              actual: error.actual,
              attempt,
            },
          );
        }
        // The winners are on their way through the feed: the next run decides on them.
        const actual = error.actual;
        await machinery.exclusive(() => this.#learnWinners(actual));
      }
    }
  }

  /** Appends a re-runnable command's events on the version it decided on, or drops them all. */
  async #appendDecided(fired: readonly FiredEvent[], decidedOn: number): Promise<void> {
    const pending = fired.filter((each) => this.#local.isPending(each));
    let stored: readonly StoredEvent[];
    try {
      // One of them refused by a rebase, or winners applied since: the command must run again.
      if (pending.length < fired.length || this.#local.confirmedVersion !== decidedOn) {
        throw new ConcurrencyError(this.#machinery.id, decidedOn, this.#local.confirmedVersion);
      }
      stored = await appendOnce(this.#machinery, pending, decidedOn);
    } catch (error) {
      this.#local.drop(pending);
      throw error;
    }
    this.#local.acceptStored(stored);
    this.#feed?.stored(this.#machinery.id, stored);
    logStored(this.#machinery, stored);
  }

  /** Applies what other writers stored after the confirmed version. */
  async #readWinners(): Promise<void> {
    await this.#local.readStored();
  }

  /** Events from the live feed: other writers' (and echoes of our own), held until the lane applies them. */
  #hear(events: readonly StoredEvent[]): void {
    const heard = (this.#heard ??= []);
    const last = heard.at(-1)?.version ?? this.#local.confirmedVersion;
    for (const event of events) if (event.version > last) heard.push(event);
    this.#onHeard?.();
    if (this.#receiveQueued) return;
    this.#receiveQueued = true;
    const machinery = this.#machinery;
    void machinery
      .exclusive(() => {
        this.#receiveQueued = false;
        return this.#applyHeard();
      })
      .catch((error: unknown) => machinery.reportFailure(error, 'apply', 'events heard live'));
  }

  /** Applies what the feed delivered after the confirmed version; run in the actor's lane. */
  async #applyHeard(): Promise<void> {
    const confirmed = this.#local.confirmedVersion;
    const heard = this.#heard?.filter((event) => event.version > confirmed) ?? [];
    this.#heard = undefined;
    if (this.#machinery.disposed() || heard.length === 0) return;
    // The feed delivers without gaps from where the actor started watching; the actor may have
    // fallen behind that only through a failed read, which reading again makes up.
    if ((heard[0] as StoredEvent).version > confirmed + 1) await this.#readWinners();
    this.#hearing = true;
    try {
      this.#local.acceptStored(heard);
    } finally {
      this.#hearing = false;
    }
  }

  /**
   * After a conflict: the stream is at `actual`, and the winners' events are on their way through
   * the feed. Waits for them (a short while), applies them, and reads only what has not come.
   */
  async #learnWinners(actual: number): Promise<void> {
    const arrived = () => (this.#heard?.at(-1)?.version ?? 0) >= actual;
    if (!arrived() && this.#local.confirmedVersion < actual && this.#watch !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, HEAR_WINNERS_WAIT_MS);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#onHeard = () => {
          if (arrived()) done();
        };
      }).finally(() => (this.#onHeard = undefined));
    }
    await this.#applyHeard();
    if (this.#local.confirmedVersion < actual) await this.#readWinners();
  }
}
