/**
 * Replaying a stream through the user's actor class, event by event: the way to watch a bug
 * happen. The events are read from the user's store and copied into a private in-memory store,
 * where the class loads them; the user's store is only read, never written (no snapshot, no
 * lease, no tick, no reaction reaches it), whatever kind the class is.
 *
 * Guarantees: every event up to `to` is applied, from the first (no snapshot is used: a snapshot
 * would hide the events it covers); each step holds the event and what it changed in the state; an
 * event whose handler throws ends the replay with that event, the error, and the state before it.
 */
import { markStoryContainer } from '../actors/story-clock.js';
import type { EventStore } from '../engines/engine.js';
import { HandlerError, UsageError, messageOf } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { createContainer, memoryStore, type Container } from '../index.js';
import { stateChanges, type StateChange } from './state-changes.js';

/** What a replay needs of an actor class: the public face every kind has. */
export interface ReplayableActor {
  Load(): Promise<unknown>;
  OnChange(listener: (state: object, event: StoredEvent | undefined) => void): () => void;
  Dispose(): Promise<void>;
  readonly state: object;
}

export type ReplayableClass = (new (id: string, container: Container) => ReplayableActor) & {
  readonly name: string;
  readonly services?: unknown;
};

export interface ReplayStep {
  readonly event: StoredEvent;
  readonly changes: readonly StateChange[];
  /** The state after the event (a copy, taken as it was then). */
  readonly state: unknown;
}

export interface ReplayFailure {
  readonly event: StoredEvent;
  readonly error: unknown;
  /** The state just before the event, as the events before it left it. */
  readonly stateBefore: unknown;
}

export interface Replay {
  /** The state the class starts from, before any event. */
  readonly initial: unknown;
  readonly steps: readonly ReplayStep[];
  readonly failure?: ReplayFailure;
  /** The stream's version in the user's store (the replay may stop before it, at `to`). */
  readonly storedVersion: number;
}

const READ_PAGE = 1000;

export async function replayStream(
  source: EventStore,
  actorClass: ReplayableClass,
  stream: string,
  options: { readonly to?: number } = {},
): Promise<Replay> {
  const storedVersion = await source.streamVersion(stream);
  const last = options.to === undefined ? storedVersion : Math.min(options.to, storedVersion);
  const events = await readEvents(source, stream, last);

  const container = privateContainer(actorClass, memoryStore());
  await copyInto(container.store, stream, events);
  const byVersion = new Map(events.map((event) => [event.version, event]));
  const actor = makeForReplay(actorClass, stream, container);
  const initial = copyState(actor.state);
  const steps: ReplayStep[] = [];
  let previous: unknown = initial;
  const stop = actor.OnChange((state, event) => {
    // Only the copied events: an elected kind may store records of its own in the private store.
    const original = event === undefined ? undefined : byVersion.get(event.version);
    if (original === undefined || event?.id !== original.id) return;
    const copy = copyState(state);
    steps.push({ event: original, changes: stateChanges(previous, copy), state: copy });
    previous = copy;
  });
  try {
    await actor.Load();
    return { initial, steps, storedVersion };
  } catch (error) {
    const failed = failedEvent(error, byVersion);
    if (failed === undefined) throw error;
    return {
      initial,
      steps,
      storedVersion,
      failure: { event: failed, error: causeOf(error), stateBefore: previous },
    };
  } finally {
    stop();
    await actor.Dispose().catch(() => undefined);
  }
}

/** The first `last` events of `stream`, read in pages. */
export async function readEvents(source: EventStore, stream: string, last: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  while (events.length < last) {
    const page = await source.readStream(stream, {
      fromVersion: events.length + 1,
      limit: Math.min(READ_PAGE, last - events.length),
    });
    if (page.length === 0) break;
    events.push(...page);
  }
  return events;
}

/** Stores `events` (read from another store) as they are, ids, meta and times included. */
export async function copyInto(
  store: EventStore,
  stream: string,
  events: readonly StoredEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await store.appendToStream(
    stream,
    events.map((event) => ({
      id: event.id,
      name: event.name,
      data: event.data,
      meta: event.meta,
      at: event.at,
    })),
    { expectedVersion: 0 },
  );
}

/**
 * A container on a private store, marked as a story's (a TickActor does not tick), with every
 * service the class declares standing in: a replay applies events, it runs no command.
 */
export function privateContainer(actorClass: ReplayableClass, store: EventStore): Container {
  const services: Record<string, unknown> = {};
  const declared = actorClass.services;
  if (Array.isArray(declared)) {
    for (const name of declared) {
      if (typeof name === 'string') services[name] = unavailableService(name);
    }
  }
  const container = createContainer({ store, ...services });
  markStoryContainer(container);
  return container;
}

/**
 * The class made as a replay makes it: from the id and the container only. A class whose
 * constructor needs more (the contract allows extra arguments) is refused with a clear error.
 */
export function makeForReplay(
  actorClass: ReplayableClass,
  stream: string,
  container: Container,
): ReplayableActor {
  try {
    return new actorClass(stream, container);
  } catch (error) {
    throw new UsageError(
      `${actorClass.name} cannot be made for a replay: new ${actorClass.name}(id, container) threw "${messageOf(error)}". A replay makes the class from its id and container only: give its other constructor arguments defaults`,
      { cause: error },
    );
  }
}

/**
 * A copy of a state as it is now, for the steps of a replay. `structuredClone` copies what a state
 * usually holds; a state it cannot copy (one holding a function, say) is copied by hand: plain
 * objects, arrays, maps, sets and dates deeply, anything else as the same value.
 */
export function copyState<T>(state: T): T {
  try {
    return structuredClone(state);
  } catch {
    return copyByHand(state, new Map()) as T;
  }
}

function copyByHand(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    copies.set(value, copy);
    for (const [key, entry] of value) copy.set(copyByHand(key, copies), copyByHand(entry, copies));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set<unknown>();
    copies.set(value, copy);
    for (const entry of value) copy.add(copyByHand(entry, copies));
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const entry of value) copy.push(copyByHand(entry, copies));
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    try {
      return structuredClone(value);
    } catch {
      return value;
    }
  }
  const copy: Record<string, unknown> = Object.create(prototype as object | null) as Record<string, unknown>;
  copies.set(value, copy);
  for (const [key, entry] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: copyByHand(entry, copies),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function unavailableService(name: string): unknown {
  return new Proxy(
    {},
    {
      get() {
        throw new UsageError(
          `the service "${name}" is not available in a replay: handlers must not use services`,
        );
      },
    },
  );
}

function failedEvent(error: unknown, byVersion: ReadonlyMap<number, StoredEvent>): StoredEvent | undefined {
  if (!(error instanceof HandlerError)) return undefined;
  return byVersion.get(error.event.version);
}

function causeOf(error: unknown): unknown {
  return error instanceof HandlerError && error.cause !== undefined ? error.cause : error;
}
