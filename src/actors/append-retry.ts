/**
 * Appending a batch of fired events when the store may fail for a moment.
 *
 * A `StoreUnavailableError` does not say whether the append was stored: the commit may have
 * happened and only the reply been lost. The batch is sent again with the same event ids, which
 * the store answers as a retry (idempotent by event id): so a passing failure neither loses the
 * events nor stores them twice, and a `Fire` whose events were stored resolves. Only when the store
 * stays unavailable does the error reach the caller; then the events may or may not be stored,
 * and their ids say which.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppendOptions, AppendResult, EventStore } from '../engines/engine.js';
import type { NewEvent } from '../events/envelope.js';
import { StoreUnavailableError } from '../errors.js';
import type { ActorMachinery, FiredEvent } from './kind-policy.js';

/** Pauses before each new try; the store's own driver retries lost connections for longer. */
const RETRY_PAUSES_MS = [5, 25, 100, 250];

export function appendRetryingUnavailable(
  machinery: ActorMachinery,
  batch: readonly FiredEvent[],
  options: AppendOptions,
): Promise<AppendResult> {
  return appendEventsRetryingUnavailable(
    machinery.container.store,
    machinery.id,
    batch.map((fired) => fired.event),
    options,
  );
}

/** The same, for any events of any stream (a leader's records, a follower's requests). */
export async function appendEventsRetryingUnavailable(
  store: EventStore,
  stream: string,
  events: readonly NewEvent[],
  options: AppendOptions,
): Promise<AppendResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.appendToStream(stream, events, options);
    } catch (error) {
      const pause = RETRY_PAUSES_MS[attempt];
      // A store closed by its owner never answers again: no pause can help.
      if (!(error instanceof StoreUnavailableError) || error.closed || pause === undefined) throw error;
      await sleep(pause);
    }
  }
}
