/**
 * Appending fired events that are already applied on top of the state, for every kind that applies
 * at `Fire`: expect the confirmed version; on a conflict read the winners (which may refuse some
 * pending events), then append what is still pending again, until it lands or the tries run out.
 *
 * An append whose answer is not this batch, freshly stored right after the expected version, means
 * its ids belong to events stored before (ids reused by a deterministic id generator, say): the
 * store answered it as a retry of those. It is refused with `DuplicateEventError`, never taken as
 * ours.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { logQuietly, logsAt } from '../container.js';
import { ConcurrencyError, DuplicateEventError, FencedError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { appendRetryingUnavailable } from './append-retry.js';
import type { ActorMachinery, FiredEvent } from './kind-policy.js';
import type { OptimisticState } from './optimistic-state.js';

/**
 * When a conflict is reported rather than tried again: after this many attempts AND this long.
 * Each attempt follows the winners, so only a stream that other writers keep ahead of for half a
 * minute gives up: an actor that learns the winners live retries without pausing, and on a hot
 * stream makes a thousand attempts in far less time than one that pauses (the backoff below).
 */
export const MAX_APPEND_ATTEMPTS = 1000;
export const LONGEST_LOSING_MS = 30_000;

/** Whether a writer that keeps losing since `since` (`performance.now()`) should give up. */
export function losingTooLong(attempt: number, since: number): boolean {
  return attempt >= MAX_APPEND_ATTEMPTS && performance.now() - since >= LONGEST_LOSING_MS;
}
/** The longest pause between two attempts; pauses grow from 1 ms, with jitter. */
const MAX_BACKOFF_MS = 50;

export function backoff(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt);
}

/**
 * How a leader appends: with its fencing term, and what to do with the events if it was deposed.
 * Resolves to the events as stored (none when fenced out, or when every one was refused).
 */
export interface FencedAppend {
  readonly fencingTerm: number;
  /** The append was fenced out: the events, already taken out of the state, are the caller's again. */
  readonly onFenced: (pending: readonly FiredEvent[], error: FencedError) => Promise<void>;
}

/**
 * How an actor that hears its stream live learns the winners of a conflict: up to `actual`, the
 * version the store reported. It knows when they have arrived, so it needs no pause; an actor that
 * does not hear its stream pauses at random (so that racing writers spread out), then reads.
 */
export type LearnWinners = (actual: number) => Promise<void>;

export async function appendPending(
  machinery: ActorMachinery,
  local: OptimisticState,
  batch: readonly FiredEvent[],
  readWinners: () => Promise<void>,
  fence?: FencedAppend,
  learnWinners?: LearnWinners,
): Promise<readonly StoredEvent[]> {
  const since = performance.now();
  for (let attempt = 1; ; attempt++) {
    // A rebase may have refused some of the batch: those are never appended.
    const pending = batch.filter((fired) => local.isPending(fired));
    if (pending.length === 0) return [];
    let stored: readonly StoredEvent[];
    try {
      stored = await appendOnce(machinery, pending, local.confirmedVersion, fence?.fencingTerm);
    } catch (error) {
      if (fence !== undefined && error instanceof FencedError) {
        local.drop(pending);
        await fence.onFenced(pending, error);
        return [];
      }
      if (error instanceof DuplicateEventError && attempt < MAX_APPEND_ATTEMPTS) {
        // Some of the batch may be stored already, by another node that fired the same events (a
        // reaction, whose ids are derived from its cause): read them, and append what is left.
        // Ids stored by something else entirely stay pending after the read: that is refused.
        try {
          await readWinners();
        } catch (readError) {
          local.drop(pending);
          throw readError;
        }
        if (pending.some((fired) => !local.isPending(fired))) continue;
        local.drop(pending);
        throw error;
      }
      if (!(error instanceof ConcurrencyError) || losingTooLong(attempt, since)) {
        local.drop(pending);
        throw error;
      }
      const { logger } = machinery.container;
      if (logsAt(logger, 'debug')) {
        logQuietly(
          logger,
          'debug',
          `${machinery.className} "${machinery.id}" met a conflict: its append expected version ${String(error.expected)}, the stream is at ${error.actual}; rebasing ${pending.length} pending event(s) on the winners`,
          {
            actor: machinery.className,
            stream: machinery.id,
            expected: error.expected,
            actual: error.actual,
            attempt,
          },
        );
      }
      // The batch stays pending: re-applied on top of the winners, it is appended again. The
      // winners are read after the pause, so the next attempt expects the newest version.
      try {
        if (learnWinners !== undefined) await learnWinners(error.actual);
        else {
          await sleep(backoff(attempt));
          await readWinners();
        }
      } catch (readError) {
        local.drop(pending);
        throw readError;
      }
      if (logsAt(logger, 'debug')) {
        const still = batch.filter((fired) => local.isPending(fired)).length;
        logQuietly(
          logger,
          'debug',
          `${machinery.className} "${machinery.id}" rebased on version ${local.confirmedVersion}: ${still} pending event(s) re-applied on top` +
            (still < pending.length ? `, ${pending.length - still} refused by their handler` : ''),
          {
            actor: machinery.className,
            stream: machinery.id,
            version: local.confirmedVersion,
            pending: still,
            attempt,
          },
        );
      }
      continue;
    }
    local.acceptStored(stored);
    logStored(machinery, stored, attempt);
    return stored;
  }
}

/** A debug line for each append that landed: which events, at which versions, after how many tries. */
export function logStored(machinery: ActorMachinery, stored: readonly StoredEvent[], attempt = 1): void {
  const { logger } = machinery.container;
  if (stored.length === 0 || !logsAt(logger, 'debug')) return;
  const first = stored[0] as StoredEvent;
  const last = stored[stored.length - 1] as StoredEvent;
  const versions = first === last ? `version ${first.version}` : `versions ${first.version}-${last.version}`;
  logQuietly(
    logger,
    'debug',
    `${machinery.className} "${machinery.id}" stored ${namesOf(stored)} at ${versions}` +
      (attempt > 1 ? ` (attempt ${attempt})` : ''),
    {
      actor: machinery.className,
      stream: machinery.id,
      version: last.version,
      position: last.position,
      events: stored.length,
      attempt,
    },
  );
}

/** The events' names, the first few of a long batch. */
function namesOf(events: readonly StoredEvent[]): string {
  const shown = events.slice(0, 5).map((event) => event.name);
  return events.length > shown.length
    ? `${shown.join(', ')} and ${events.length - shown.length} more`
    : shown.join(', ');
}

/** One append expecting `expectedVersion`; its answer must be these events, stored just after it. */
export async function appendOnce(
  machinery: ActorMachinery,
  pending: readonly FiredEvent[],
  expectedVersion: number,
  fencingTerm?: number,
): Promise<readonly StoredEvent[]> {
  const options = fencingTerm === undefined ? { expectedVersion } : { expectedVersion, fencingTerm };
  const { events } = await appendRetryingUnavailable(machinery, pending, options);
  const fresh =
    events.length === pending.length &&
    events.every(
      (stored, index) =>
        stored.version === expectedVersion + index + 1 && stored.id === pending[index]?.event.id,
    );
  if (!fresh) throw new DuplicateEventError(pending[0]?.event.id ?? '', machinery.id);
  return events;
}
