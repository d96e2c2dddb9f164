/**
 * The reaction in progress: which listener of which actor is reacting to which event. It follows
 * the listener through its `await`s (an `AsyncLocalStorage`), so that an event the listener fires,
 * even after awaiting a payment gateway, records what caused it and is awaited as part of the
 * reaction. A reaction is open while its listener runs; an event fired once it has settled (from a
 * timer the listener left behind, say) is an ordinary event, not part of it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredEvent } from '../events/envelope.js';

export class Reaction {
  /** While the listener runs; events fired after it settled are not part of the reaction. */
  open = true;
  /** The promises of the events the reacting actor fired, in firing order. */
  readonly fired: Promise<StoredEvent>[] = [];

  constructor(
    /** The listening actor: only its own events record the reaction and form its checkpoint. */
    readonly actor: object,
    /** The listener's key (`to:<stream>` or `for:<event name>`). */
    readonly listener: string,
    readonly cause: StoredEvent,
  ) {}
}

const current = new AsyncLocalStorage<Reaction>();

/** The reaction whose listener is running here, if it is still open. */
export function currentReaction(): Reaction | undefined {
  const reaction = current.getStore();
  return reaction?.open === true ? reaction : undefined;
}

/** Runs `listener` as `reaction`; returns what it returns (a promise, for an async listener). */
export function runReaction<R>(reaction: Reaction, listener: () => R): R {
  return current.run(reaction, listener);
}
