/**
 * An actor's listeners (`ListenTo`, `ListenFor`): what each one follows, from where, and what it
 * does with each event it hears.
 *
 * A listener starts once its actor is loaded, after the last cause its class reacted to (read from
 * the actor's own events, see `reaction-cause.ts`), and hears every later event of what it follows,
 * in order, one at a time: the next event only once the reaction to the previous one is stored.
 *
 * Guarantees:
 * - a reaction (the events the listener fires while it handles an event) records its cause, and is
 *   one with its checkpoint: after a crash, the listener resumes after the last cause it reacted
 *   to, so it misses nothing, and an event whose reaction is stored is never handed to it again;
 * - the same reaction fired on two nodes holding the actor is stored once: its events' ids are
 *   derived from the listener, the cause and their order, and the store keeps an id once;
 * - a reaction that could not be stored (the store unavailable, a conflict that never settled) is
 *   retried, with backoff, for the same event; nothing after it is handled meanwhile;
 * - a listener that throws, or whose reaction the actor's own handler refuses, is reported to the
 *   container's error hook (operation `'listen'`), and the listener goes on with the next event;
 * - events of the library's own request streams are never heard.
 */
import type { Container } from '../container.js';
import { LiveFeed } from '../live/live-feed.js';
import type { Subscription } from '../engines/engine.js';
import { ConcurrencyError, CorruptEventError, StoreUnavailableError, UsageError } from '../errors.js';
import type { StoredEvent } from '../events/envelope.js';
import { validateActorId, validateEventName } from '../events/names.js';
import { REQUEST_STREAM_PREFIX } from '../leadership/requests.js';
import { EventFollower, RetryLater, type FollowedSource } from './event-follower.js';
import { Reaction, currentReaction, runReaction } from './reaction-context.js';
import { listenerKey, type ReactionCheckpoints } from './reaction-cause.js';

/** A listener: called with each stored event it hears, as a method of the listening actor. */
export type EventListener<Event extends StoredEvent = StoredEvent> = (event: Event) => unknown;

/** What the listening actor lends its listeners. */
export interface ListeningHost {
  /** The actor, passed to its listeners as `this`. */
  readonly actor: object;
  readonly id: string;
  readonly className: string;
  readonly container: Container;
  reactions(): ReactionCheckpoints;
  disposed(): boolean;
  /** Whether this node listens and reacts now (an elected kind's leader); the host calls `changed()` when it changes. */
  mayReact(): boolean;
  /** How many listeners the actor has now. */
  listenersChanged(count: number): void;
}

interface Listener {
  readonly key: string;
  readonly source: FollowedSource;
  readonly listener: EventListener;
  follower: EventFollower | undefined;
  closed: boolean;
  /**
   * The cause whose reaction is being tried again: part of it may be stored already (which moved
   * the checkpoint past it), and the rest must still be fired.
   */
  retrying: string | undefined;
}

export class Listening {
  readonly #host: ListeningHost;
  readonly #listeners = new Map<string, Listener>();
  #started = false;

  constructor(host: ListeningHost) {
    this.#host = host;
  }

  /** `ListenTo(actorId, listener)`: every event of one stream, in version order. */
  listenTo(actorId: unknown, listener: unknown): Subscription {
    validateActorId(actorId, `${this.#host.className}.ListenTo(actorId, listener)`);
    if (actorId.startsWith(REQUEST_STREAM_PREFIX)) {
      throw new UsageError(
        `"${actorId}" is the request stream of an elected actor, which only the library reads; listen to "${actorId.slice(REQUEST_STREAM_PREFIX.length)}" itself`,
      );
    }
    const store = this.#host.container.store;
    return this.#add(listenerKey('to', actorId), listener, {
      read: (cursor, limit) => store.readStream(actorId, { fromVersion: cursor + 1, limit }),
      placeOf: (event) => event.version,
      matches: (notification) => notification.stream === actorId,
      accepts: () => true,
      dense: true,
    });
  }

  /** `ListenFor(eventName, listener)`: every event of one name, whatever the stream, in position order. */
  listenFor(eventName: unknown, listener: unknown): Subscription {
    validateEventName(eventName, 'eventName');
    const store = this.#host.container.store;
    const isHeard = (stream: string) => !stream.startsWith(REQUEST_STREAM_PREFIX);
    return this.#add(listenerKey('for', eventName), listener, {
      read: (cursor, limit) => store.readAll({ after: cursor, limit, names: [eventName] }),
      placeOf: (event) => event.position,
      matches: (notification) => notification.name === eventName && isHeard(notification.stream),
      accepts: (event) => isHeard(event.stream),
      dense: false,
    });
  }

  /** The actor is loaded: its checkpoints are known, and its listeners start (where it may react). */
  start(): void {
    this.#started = true;
    this.changed();
  }

  /**
   * Whether this node may react changed (an elected kind took or left office): listeners start
   * from the checkpoints the stream holds now, or stop; a new leader takes up where its
   * predecessor's reactions end.
   */
  changed(): void {
    if (!this.#started) return;
    const reacting = this.#host.mayReact();
    for (const listener of this.#listeners.values()) {
      if (reacting) this.#follow(listener);
      else this.#unfollow(listener);
    }
  }

  /** Resolves once every listener running here has handled what is stored (see `EventFollower.settled`). */
  async settled(): Promise<void> {
    await Promise.all([...this.#listeners.values()].map((listener) => listener.follower?.settled()));
  }

  /** Stops every listener; resolves once none is handling an event (except the caller's own). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#listeners.values()].map((listener) => this.#close(listener)));
  }

  #add(key: string, listener: unknown, source: FollowedSource): Subscription {
    const host = this.#host;
    if (typeof listener !== 'function') {
      throw new UsageError(`${host.className} needs a function to listen with, got ${typeof listener}`);
    }
    if (host.disposed()) {
      throw new UsageError(`${host.className} "${host.id}" was disposed; it cannot listen`);
    }
    if (this.#listeners.has(key)) {
      throw new UsageError(
        `${host.className} "${host.id}" already listens ${key.startsWith('to:') ? 'to' : 'for'} ` +
          `"${key.slice(key.indexOf(':') + 1)}": one listener per stream or event name, which resumes ` +
          'from its own reactions; handle everything in that one listener',
      );
    }
    const entry: Listener = {
      key,
      source,
      listener: listener as EventListener,
      follower: undefined,
      closed: false,
      retrying: undefined,
    };
    this.#listeners.set(key, entry);
    host.listenersChanged(this.#listeners.size);
    if (this.#started && host.mayReact()) this.#follow(entry);
    return { close: () => this.#close(entry) };
  }

  #follow(listener: Listener): void {
    if (listener.follower !== undefined || listener.closed) return;
    const { container } = this.#host;
    listener.follower = new EventFollower({
      feed: LiveFeed.of(container.store, container.logger),
      source: listener.source,
      cursor: this.#host.reactions()[listener.key] ?? 0,
      handle: (event) => this.#hear(listener, event),
      onError: (error) => this.#logRecovered(error, listener),
    });
  }

  #unfollow(listener: Listener): void {
    const follower = listener.follower;
    listener.follower = undefined;
    void follower?.close();
  }

  async #close(listener: Listener): Promise<void> {
    listener.closed = true;
    const follower = listener.follower;
    // Closed from inside its own listener: the handling in progress is the caller's, not waited for.
    const fromItself =
      currentReaction()?.listener === listener.key && currentReaction()?.actor === this.#host.actor;
    if (fromItself) void follower?.close();
    else await follower?.close();
    // Its key is free once it handles nothing more: a new listener for the same target could
    // otherwise react to the event this one is still reacting to.
    if (this.#listeners.get(listener.key) === listener) {
      this.#listeners.delete(listener.key);
      this.#host.listenersChanged(this.#listeners.size);
    }
  }

  /**
   * Hands `event` to the listener, unless it was reacted to already. Synchronous when the listener
   * is and fires nothing (an observer's common case: no promise per event); otherwise the promise
   * settles once the reaction is stored, and rejects with `RetryLater` if it is worth another try.
   */
  #hear(listener: Listener, event: StoredEvent): Promise<void> | undefined {
    const host = this.#host;
    if (listener.closed || host.disposed() || !host.mayReact()) return undefined;
    if (listener.retrying !== event.id && this.#reacted(listener, event)) return undefined;
    return this.#react(listener, event);
  }

  /** Reacted to already: this node, or another holding the actor, stored the reaction. */
  #reacted(listener: Listener, event: StoredEvent): boolean {
    return (this.#host.reactions()[listener.key] ?? 0) >= listener.source.placeOf(event);
  }

  #react(listener: Listener, event: StoredEvent): Promise<void> | undefined {
    const reaction = new Reaction(this.#host.actor, listener.key, event);
    let result: unknown;
    try {
      result = runReaction(reaction, () => listener.listener.call(this.#host.actor, event));
    } catch (error) {
      reaction.open = false;
      this.#report(error, listener, event);
      return this.#settled(listener, reaction);
    }
    if (isPromiseLike(result)) return this.#finish(reaction, listener, event, result);
    reaction.open = false;
    return this.#settled(listener, reaction);
  }

  async #finish(
    reaction: Reaction,
    listener: Listener,
    event: StoredEvent,
    result: PromiseLike<unknown>,
  ): Promise<void> {
    try {
      await result;
    } catch (error) {
      this.#report(error, listener, event);
    } finally {
      reaction.open = false;
    }
    await this.#settled(listener, reaction);
  }

  /**
   * Waits for the reaction's events to be stored. Their own failures already reached Flush and the
   * error hook; the ones that may pass are worth another try of the whole reaction.
   */
  #settled(listener: Listener, reaction: Reaction): Promise<void> | undefined {
    if (reaction.fired.length === 0) {
      listener.retrying = undefined;
      return undefined;
    }
    return Promise.allSettled(reaction.fired).then((outcomes) => {
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected' && isPassing(outcome.reason)) {
          listener.retrying = reaction.cause.id;
          throw new RetryLater(outcome.reason);
        }
      }
      listener.retrying = undefined;
    });
  }

  /** What the follower gets over by itself: a failed read, a damaged row passed over, a retried reaction. */
  #logRecovered(error: unknown, listener: Listener): void {
    const { container, className, id } = this.#host;
    const context = { error, actor: className, stream: id, listener: listener.key };
    if (error instanceof CorruptEventError) {
      container.logger.error('a listener passed over a stored event that cannot be read', context);
    } else {
      container.logger.warn('a listener will try again', context);
    }
  }

  #report(error: unknown, listener: Listener, event?: StoredEvent): void {
    const { container, className, id } = this.#host;
    try {
      container.onError(error, {
        operation: 'listen',
        actor: className,
        stream: id,
        ...(event === undefined ? { event: listener.key } : { event: `${listener.key} ${event.name}` }),
      });
    } catch (hookError) {
      try {
        container.logger.error('the error hook threw', { error: hookError });
      } catch {
        // Neither the hook nor the logger can stop a listener.
      }
    }
  }
}

/** A failure that may pass: the reaction is tried again rather than given up. */
function isPassing(error: unknown): boolean {
  return (error instanceof StoreUnavailableError && !error.closed) || error instanceof ConcurrencyError;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
