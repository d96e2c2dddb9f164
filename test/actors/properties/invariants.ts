/**
 * The invariants every schedule must keep, read from a fresh read of the stream on the store
 * underneath the faults. Each returns the violations it found, as sentences naming the events and
 * actors involved; an empty list means the contract held.
 *
 * - every resolved `Fire` is stored exactly once, as the event it resolved to, with the data it
 *   had when `Fire` was called; every rejected (or throwing) `Fire` is not stored; every stored
 *   event was fired by some `Fire` (nothing invented);
 * - versions are 1..n with no gap;
 * - a fresh `Load()` of the stream never fails: no stored event is refused by its handler;
 * - a settled actor agrees with the fresh `Load()` (a live one on state, `version` and
 *   `confirmedVersion`; a serial one is the fold of the stream up to its `version`, and equal to the
 *   fresh one after its own `Load()`);
 * - once disposed, an actor applies nothing more, and once every actor is disposed nothing listens.
 */
import { isDeepStrictEqual } from 'node:util';
import { createContainer, type StoredEvent } from 'omniscient-actors';
import { FireLog, foldAccount, Ledger, LiveAccount, type AccountState } from './account-model.js';
import { STREAM, stateText, type ActorKind, type RunResult } from './schedule-run.js';

export interface FreshLoad {
  readonly events: readonly StoredEvent[];
  readonly state?: AccountState;
  readonly version?: number;
}

/** Reads the stream and loads a new actor from the store underneath the faults. */
export async function freshLoad(run: RunResult, kind: ActorKind, violations: string[]): Promise<FreshLoad> {
  const events = await run.store.readStream(STREAM);
  const container = createContainer({
    store: run.store,
    onError: () => undefined,
    fireLog: new FireLog(),
    instance: 'fresh',
  });
  const actor = kind === 'live' ? new LiveAccount(STREAM, container) : new Ledger(STREAM, container);
  try {
    await actor.Load();
    return { events, state: structuredClone(actor.state), version: actor.version };
  } catch (error) {
    violations.push(`a fresh Load() of the stream fails: ${describeError(error)}`);
    return { events };
  } finally {
    await actor.Dispose();
  }
}

export function checkStream(run: RunResult, fresh: FreshLoad): string[] {
  const violations: string[] = [];
  const { events } = fresh;
  const versions = events.map((event) => event.version);
  if (
    !isDeepStrictEqual(
      versions,
      versions.map((_, index) => index + 1),
    )
  ) {
    violations.push(`the stream's versions are ${versions.join(', ')}, not 1..${events.length}`);
  }
  const timesStored = new Map<string, StoredEvent[]>();
  for (const event of events) timesStored.set(event.id, [...(timesStored.get(event.id) ?? []), event]);
  for (const record of run.fireLog.records) {
    const stored = record.id === undefined ? [] : (timesStored.get(record.id) ?? []);
    const name = `Fire ${record.id ?? '(no id)'} ${record.name}(${JSON.stringify(record.data)})`;
    if (record.outcome === 'pending') violations.push(`${name} never settled`);
    if (record.outcome === 'rejected' || record.outcome === 'threw') {
      if (stored.length > 0) {
        violations.push(
          `${name} ${record.outcome} (${describeError(record.error)}) but is stored at v${stored[0]?.version}`,
        );
      }
      continue;
    }
    if (record.outcome !== 'resolved') continue;
    if (stored.length !== 1) {
      violations.push(`${name} resolved but is stored ${stored.length} times`);
      continue;
    }
    const [event] = stored as [StoredEvent];
    if (record.stored?.version !== event.version || record.stored.position !== event.position) {
      violations.push(
        `${name} resolved to v${record.stored?.version}, but it is stored at v${event.version}`,
      );
    }
  }
  for (const event of events) {
    const record = run.fireLog.records.find((each) => each.id === event.id);
    if (record === undefined && !event.id.startsWith('seed.')) {
      violations.push(`v${event.version} (${event.id}) is stored, but no Fire fired it`);
    }
    if (record !== undefined && !isDeepStrictEqual(event.data, record.data)) {
      violations.push(
        `v${event.version} (${event.id}) is stored with ${JSON.stringify(event.data)}, but was fired with ${JSON.stringify(record.data)}`,
      );
    }
  }
  return violations;
}

/** A live actor still held, and loaded once at least, equals the fresh `Load()` once settled. */
export function checkLiveActors(run: RunResult, fresh: FreshLoad): string[] {
  if (fresh.state === undefined) return [];
  const violations: string[] = [];
  for (const instance of run.instances) {
    if (instance.disposed || instance.loadsSucceeded === 0) continue;
    const actor = instance.actor as LiveAccount;
    const seen = `${instance.name} has v${actor.version} (confirmed v${actor.confirmedVersion}) ${stateText(actor.state)}`;
    if (
      actor.version !== fresh.version ||
      actor.confirmedVersion !== fresh.version ||
      !isDeepStrictEqual(actor.state, fresh.state)
    ) {
      violations.push(`${seen}; a fresh Load() has v${fresh.version} ${stateText(fresh.state)}`);
    }
  }
  return violations;
}

/** A serial actor is always the fold of the stream's first `version` events. */
export function checkSerialPrefixes(run: RunResult, fresh: FreshLoad): string[] {
  const violations: string[] = [];
  for (const instance of run.instances) {
    if (instance.disposed) continue;
    const { version, state } = instance.actor;
    let expected: AccountState | string;
    try {
      expected = foldAccount(fresh.events.slice(0, version));
    } catch (error) {
      expected = `a refusal (${describeError(error)})`;
    }
    if (!isDeepStrictEqual(state, expected)) {
      violations.push(
        `${instance.name} at v${version} has ${stateText(state)}; the stream's first ${version} events give ${typeof expected === 'string' ? expected : stateText(expected)}`,
      );
    }
  }
  return violations;
}

/** After every actor is disposed: none changed since its `Dispose()`, and nothing listens. */
export function checkDisposed(run: RunResult): string[] {
  const violations: string[] = [];
  for (const instance of run.instances) {
    const { atDispose } = instance;
    if (atDispose === undefined) continue;
    const { version, state } = instance.actor;
    if (version !== atDispose.version || JSON.stringify(state) !== atDispose.state) {
      violations.push(
        `${instance.name} changed after its Dispose() resolved: v${atDispose.version} ${atDispose.state} became v${version} ${JSON.stringify(state)}`,
      );
    }
  }
  if (run.faulty.openSubscriptions !== 0) {
    violations.push(
      `${run.faulty.openSubscriptions} store subscription(s) still open after every actor was disposed`,
    );
  }
  return violations;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
