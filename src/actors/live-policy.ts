/**
 * The policy of `LiveActor`: apply at `Fire`, append expecting the confirmed version, rebase on a
 * conflict, hear every other writer through the live feed, and re-run `RerunOnConflict` commands.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, UsageError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { LiveFeed, type LiveWatch } from '../live/live-feed.js';
import { ActorSnapshots } from './actor-snapshots.js';
import { logQuietly, logsAt } from '../container.js';
import { appendOnce, appendPending, backoff, logStored, MAX_APPEND_ATTEMPTS } from './append-pending.js';
import type { ActorMachinery, FiredEvent, KindPolicy } from './kind-policy.js';
import { OptimisticState } from './optimistic-state.js';
import { isThenable } from './thenable.js';

export class LivePolicy implements KindPolicy {
  readonly #machinery: ActorMachinery;
  readonly #local: OptimisticState;
  readonly #snapshots: ActorSnapshots;
  #watch: Promise<LiveWatch> | undefined;
  /** Applying what the live feed brought (others' events): no snapshot is taken for those. */
  #hearing = false;

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
    await appendPending(this.#machinery, this.#local, batch, () => this.#readWinners());
  }

  async catchUp(): Promise<void> {
    await this.#snapshots.restore(() => this.#local.pendingCount === 0);
    await this.#readWinners();
  }

  async afterLoad(): Promise<void> {
    if (this.#watch !== undefined) return;
    const machinery = this.#machinery;
    const feed = LiveFeed.of(machinery.container.store, machinery.container.logger);
    this.#watch = feed.watch(machinery.id, this.#local.confirmedVersion + 1, (events) => {
      if (machinery.disposed()) return;
      void machinery
        .exclusive(() => this.#receive(events))
        .catch((error: unknown) =>
          machinery.reportFailure(error, 'apply', events.map((event) => event.name).join(', ')),
        );
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
    for (let attempt = 1; ; attempt++) {
      // The command decides on stored events only: an event still pending would land after the
      // command's own, so the command must not see it. Wait until nothing is pending.
      for (;;) {
        await machinery.drained();
        await machinery.exclusive(() => this.#readWinners());
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
        await machinery.exclusive(() => this.#appendDecided(fired, decidedOn));
        return run.result;
      } catch (error) {
        for (const each of fired) each.reject(error);
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_APPEND_ATTEMPTS) {
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
      }
      await sleep(backoff(attempt));
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
    logStored(this.#machinery, stored);
  }

  /** Applies what other writers stored after the confirmed version. */
  async #readWinners(): Promise<void> {
    await this.#local.readStored();
  }

  /** Events from the live feed: other writers' (and echoes of our own). */
  async #receive(events: readonly StoredEvent[]): Promise<void> {
    if (this.#machinery.disposed()) return;
    const first = events.find((event) => event.version > this.#local.confirmedVersion);
    if (first === undefined) return;
    if (first.version > this.#local.confirmedVersion + 1) await this.#readWinners();
    this.#hearing = true;
    try {
      this.#local.acceptStored(events);
    } finally {
      this.#hearing = false;
    }
  }
}
