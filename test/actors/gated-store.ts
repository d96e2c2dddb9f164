/**
 * A store for deterministic interleavings in actor tests: it wraps a real store and lets a test
 * hold an append's reply (the append is stored, the answer waits), run something when an append
 * meets a conflict, and wait until the subscribers have been told of a given version.
 */
import type { EventNotification, EventStore } from 'omniscient-actors';
import { ConcurrencyError, memoryStore } from 'omniscient-actors';

export interface GatedStore extends EventStore {
  /** Holds the replies of the appends that start from now on, until `release()`. */
  holdReplies(): void;
  release(): void;
  /** Called once, before the next append reaches the store. */
  beforeNextAppend(action: () => Promise<unknown>): void;
  /** Called once, the next time an append is refused with a conflict, before the refusal is returned. */
  onNextConflict(action: () => void | Promise<void>): void;
  /** Resolves once subscribers were notified of `version` of `stream`. */
  notified(stream: string, version: number): Promise<void>;
}

export function gatedStore(inner: EventStore = memoryStore()): GatedStore {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let conflictAction: (() => void | Promise<void>) | undefined;
  let appendAction: (() => Promise<unknown>) | undefined;
  const seen: EventNotification[] = [];
  const waiters: Array<() => void> = [];

  return {
    ...inner,
    engine: inner.engine,
    limits: inner.limits,
    async appendToStream(stream, events, options) {
      const held = gate;
      const before = appendAction;
      appendAction = undefined;
      await before?.();
      let result;
      try {
        result = await inner.appendToStream(stream, events, options);
      } catch (error) {
        const action = conflictAction;
        if (error instanceof ConcurrencyError && action) {
          conflictAction = undefined;
          await action();
        }
        throw error;
      }
      await held;
      return result;
    },
    readStream: (stream, options) => inner.readStream(stream, options),
    readAll: (options) => inner.readAll(options),
    streamVersion: (stream) => inner.streamVersion(stream),
    listStreams: (options) => inner.listStreams(options),
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    readSnapshot: (stream, key) => inner.readSnapshot(stream, key),
    close: () => inner.close(),
    subscribe(listener, options) {
      return inner.subscribe((notifications) => {
        listener(notifications);
        seen.push(...notifications);
        for (const wake of waiters.splice(0)) wake();
      }, options);
    },
    holdReplies() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open?.();
      gate = undefined;
    },
    beforeNextAppend(action) {
      appendAction = action;
    },
    onNextConflict(action) {
      conflictAction = action;
    },
    async notified(stream, version) {
      while (!seen.some((each) => each.stream === stream && each.version === version)) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      // Let the feed hand the events to its consumers.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
