/**
 * The shared actor core: identity, state, handler dispatch, `Fire`, `Flush`, `Load` and `Dispose`.
 * The kinds (`Actor`, `LiveActor`, …) differ only in their policy between `Fire` and the store
 * (`kind-policy.ts`); everything else lives here once.
 *
 * The core is sealed: its machinery is `#private` and reaches the kind's policy as closures, so the
 * only names a user's subclass shares with the library are the public API, and a subclass member
 * that would replace one of those is refused at construction with `UsageError`.
 *
 * Guarantees:
 * - events are applied in version order, each once; `version` is the last applied one;
 * - fired events are appended in the order they were fired; events fired while an append is in
 *   flight go together in the next append;
 * - a fired event's data is what it was when `Fire` was called: it is encoded at once;
 * - a `Fire` that is never awaited causes no unhandled rejection: its failure reaches `Flush()`
 *   and the container's error hook;
 * - a handler cannot fire (state is derived from events, never the reverse), and an async handler
 *   is refused without leaving its promise's rejection unhandled;
 * - `Flush` and `Dispose` wait for every fired event, including those of a running command that a
 *   kind tracks (`RerunOnConflict`); a disposed actor applies nothing more;
 * - `OnChange` listeners hear every change of the state the actor shows, right after it: once per
 *   event applied on top of it, once per rebuild (with no event). A listener cannot fire, and one
 *   that throws is reported to the error hook without stopping the others or the actor.
 */
import type { Container } from '../container.js';
import { HandlerError, InvalidEventError, UsageError } from '../errors.js';
import { encodedEvent } from '../events/encoded-event.js';
import type { EventMap, StoredEvent } from '../events/envelope.js';
import { encodeJson } from '../events/json-data.js';
import { validateActorId, validateEventName } from '../events/names.js';
import type { Subscription } from '../engines/engine.js';
import { derivedEventId } from '../events/derived-id.js';
import { Listening, type EventListener } from '../subscriptions/listening.js';
import {
  advanceCheckpoints,
  causedMeta,
  checkpointOf,
  reactionCauseOf,
  reactionMeta,
  type ReactionCheckpoints,
} from '../subscriptions/reaction-cause.js';
import { currentReaction } from '../subscriptions/reaction-context.js';
import { snapshotSettingsOf, type SnapshotClass } from '../snapshots/snapshot-settings.js';
import { checkDeclaredServices } from './declared-services.js';
import { checkUserMembers, handlersOf, isReservedEventName, registerLibraryClass } from './handlers.js';
import {
  firedEventOf,
  type ActorMachinery,
  type CapturedRun,
  type FiredEvent,
  type KindPolicy,
} from './kind-policy.js';
import { isThenable, settleQuietly } from './thenable.js';
import { upcastEvent, upcastersOf } from './upcasting.js';

/** The data argument of `Fire`: optional when the event's data type admits `undefined`. */
export type FireData<Data> = undefined extends Data ? [data?: Data] : [data: Data];

/**
 * The handlers an actor may define for its events, for `implements`:
 * `class User extends Actor<UserState, UserEvents> implements Handlers<UserEvents>`
 * makes a handler with the wrong data type a compile error.
 */
export type Handlers<Events extends EventMap> = {
  [Name in keyof Events & string]?: (data: Events[Name], event: StoredEvent<Name, Events[Name]>) => void;
};

/** Any event of the actor's events, typed by its name. */
export type EventOf<Events extends EventMap> = {
  [Name in keyof Events & string]: StoredEvent<Name, Events[Name]>;
}[keyof Events & string];

/**
 * Hears each change of an actor's state (`OnChange`): `state` is the state now shown (read it,
 * never change it), `event` the event just applied on top of the previous state, or `undefined`
 * when the state was rebuilt instead (a rebase on other writers' events, a pending event taken
 * back out, a snapshot restored).
 */
export type ChangeListener<State extends object, Events extends EventMap> = (
  state: Readonly<State>,
  event: EventOf<Events> | undefined,
) => void;

/** Makes a kind's policy from the machinery the core lends it. */
export type PolicyFactory = (machinery: ActorMachinery) => KindPolicy;

/**
 * Resolves once the actor's listeners have handled every event stored so far, and the events their
 * reactions stored in turn (library-internal: `Given` judges a story only then). Set by the static
 * block of `ActorCore`.
 */
export let listenersSettled: (actor: ActorCore) => Promise<void>;

/** The machinery's class, set by the static block of `ActorCore`, where the private members are in reach. */
let Machinery: new (core: ActorCore) => ActorMachinery;

export abstract class ActorCore<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> {
  /**
   * A snapshot of the state is saved each time the stored version has advanced this much since the
   * last one (per class: a subclass sets its own); `0` turns snapshots off. See README, Snapshots.
   */
  static snapshotEvery = 100;
  /**
   * Pins the fingerprint of the handlers' meaning: snapshots stay valid across code changes until
   * this string changes. By default (`undefined`) the fingerprint is derived from the class's code.
   */
  static snapshotVersion: string | undefined = undefined;
  /**
   * The container services this class uses, by name (`static services = ['payments']`): an actor
   * whose container lacks one is refused at construction with `MissingServiceError` naming it.
   * A subclass's list adds to its parent's.
   */
  static services: readonly string[] = [];

  /** The actor's id, which is also the id of its stream. */
  readonly id: string;
  readonly container: Container;
  /** The actor's state, derived from its events by its handlers. */
  protected _state: State = {} as State;

  readonly #policy: KindPolicy;
  #version = 0;
  #unhandledEvents = 0;
  /** The last cause each of this class's listeners reacted to, from the reactions applied. */
  #reactions: ReactionCheckpoints = NO_REACTIONS;
  /**
   * The stored events of each listener's last reaction: a reaction run again (a retry, or on a
   * node that heard the cause late) takes those as its own instead of firing them a second time.
   */
  #lastReactions: Map<string, { place: number; events: StoredEvent[] }> | undefined;
  /** The name of the event whose handler is running, if one is. */
  #applying: string | undefined;
  #queue: FiredEvent[] = [];
  #draining: Promise<void> | undefined;
  /** Work `Flush` and `Dispose` also wait for; made on first use (most actors never track any). */
  #tracked: Set<Promise<unknown>> | undefined;
  #failures: unknown[] = [];
  /** While a command runs under `captureFired`, the events it fires, kept out of the queue. */
  #captured: FiredEvent[] | undefined;
  #disposed = false;
  /** Serialises everything that applies events (Load, appends) so they never interleave. */
  #lane: Promise<unknown> = Promise.resolve();
  /** The `OnChange` listeners; made on first use (most actors are never observed). */
  // Typed loosely: a private field typed by State would make an actor of one state type
  // unassignable to its base class type.
  #observers: Set<(state: object, event: StoredEvent | undefined) => void> | undefined;
  /** An `OnChange` listener is running: it may not fire. */
  #observing = false;
  /** How deep in rebuilds the state is: while above 0, applied events are not announced one by one. */
  #rebuilding = 0;
  /** The actor's listeners (`ListenTo`, `ListenFor`); made on first use. */
  #listening: Listening | undefined;
  #loaded = false;

  constructor(id: string, container: Container, policy: PolicyFactory) {
    validateActorId(id, `new ${new.target.name}(id, container)`);
    if (typeof container !== 'object' || container === null || container.store === undefined) {
      throw new UsageError(
        `${new.target.name} needs a container: new ${new.target.name}(id, createContainer({ store }))`,
      );
    }
    checkUserMembers(new.target.prototype as object, new.target.name);
    snapshotSettingsOf(new.target);
    checkDeclaredServices(new.target, container);
    this.id = id;
    this.container = container;
    this.#policy = policy(new Machinery(this as unknown as ActorCore));
  }

  /** The state, read-only, for code outside the actor. */
  get state(): Readonly<State> {
    return this._state;
  }

  /** The version of the last event applied to the state (0: none). */
  get version(): number {
    return this.#version;
  }

  /** How many applied events had no handler in this class (they still count for the version). */
  get unhandledEvents(): number {
    return this.#unhandledEvents;
  }

  /**
   * Applies every stored event after the confirmed version, in version order; a first `Load` starts
   * from the class's newest valid snapshot (`actor-snapshots.ts`). Resolves to the actor.
   */
  async Load(): Promise<this> {
    this.#refuseIfDisposed('Load');
    await this.#settled();
    await this.#exclusive(async () => {
      // Disposed meanwhile: Dispose may already have resolved, after which nothing is applied.
      if (this.#disposed) return;
      await this.#policy.catchUp();
      if (!this.#disposed) await this.#policy.afterLoad();
      if (!this.#disposed && !this.#loaded) {
        this.#loaded = true;
        this.#listening?.start();
      }
    });
    return this;
  }

  /**
   * Listens to every event of another actor's stream, in version order, from the first on: the
   * listener is called with each stored event, once the actor is loaded. Unlike a handler, a
   * listener may `Fire`: its events record what caused them, and the listener resumes after the
   * last event it reacted to, after a restart too. Returns a subscription; `Dispose()` closes it.
   */
  ListenTo(actorId: string, listener: EventListener): Subscription {
    this.#refuseIfDisposed('listen');
    this.#refuseWhileApplying('started listening');
    return this.#listeners().listenTo(actorId, listener);
  }

  /**
   * Listens to every event with this name, whatever its stream, in position order (the order of
   * the whole store), from the first on; otherwise like `ListenTo`.
   */
  ListenFor<Name extends keyof Events & string>(
    eventName: Name,
    listener: EventListener<StoredEvent<Name, Events[Name]>>,
  ): Subscription;
  ListenFor(eventName: string, listener: EventListener): Subscription;
  ListenFor(eventName: string, listener: EventListener<never>): Subscription {
    this.#refuseIfDisposed('listen');
    this.#refuseWhileApplying('started listening');
    return this.#listeners().listenFor(eventName, listener as EventListener);
  }

  /**
   * Calls `listener(state, event)` after each change of the state this actor shows, for as long as
   * it is subscribed: after each event applied on top of it (fired here and applied at once, heard
   * from another node, read by `Load`), with that event; and once after each rebuild, with
   * `undefined` (the state recomputed on top of other writers' events, a refused or failed pending
   * event taken back out, a snapshot restored). A fired event applied at once carries `position: 0`
   * until it is stored; it is not announced again when it lands where it was applied.
   *
   * Listeners run synchronously, in the order they subscribed, once the state is consistent; they
   * may read the state but not fire (`UsageError`). One that throws is reported to the container's
   * error hook (operation `'OnChange'`) and stays subscribed. Returns the unsubscribe function.
   */
  OnChange(listener: ChangeListener<State, Events>): () => void {
    if (typeof listener !== 'function') {
      throw new UsageError(
        `${this.constructor.name}.OnChange needs a function, called as listener(state, event), got ${typeof listener}`,
      );
    }
    // Wrapped, so that subscribing the same function twice gives two independent subscriptions.
    const observer = (state: object, event: StoredEvent | undefined) =>
      listener(state as State, event as EventOf<Events> | undefined);
    (this.#observers ??= new Set()).add(observer);
    return () => {
      this.#observers?.delete(observer);
    };
  }

  /**
   * Waits for every fired event to be stored, then lets the actor go: a live actor stops
   * listening and applies nothing more. A disposed actor refuses `Load` and `Fire`.
   */
  async Dispose(): Promise<void> {
    checkUserMembers(this, this.constructor.name);
    if (this.#disposed) return;
    this.#disposed = true;
    // Listeners first: a reaction in progress may still fire, and its events are waited for below.
    await this.#listening?.closeAll();
    await this.#settled();
    await this.#exclusive(() => this.#policy.dispose());
  }

  /**
   * Records an event. Resolves to the stored event; a failure also reaches `Flush()` and the
   * container's error hook, so the promise may be left un-awaited. Invalid names and data throw
   * `InvalidEventError` at once, and nothing is recorded. The data is encoded at once: changing the
   * object afterwards changes nothing stored.
   */
  Fire<Name extends keyof Events & string>(
    name: Name,
    ...[data]: FireData<Events[Name]>
  ): Promise<StoredEvent<Name, Events[Name]>> {
    // A command or reaction that began before `Dispose` (a `RerunOnConflict` run, a listener) may
    // still fire: Dispose waits for it.
    const reaction = currentReaction();
    const ownReaction = reaction?.actor === this ? reaction : undefined;
    if (this.#captured === undefined && ownReaction === undefined) this.#refuseIfDisposed('Fire');
    else checkUserMembers(this, this.constructor.name);
    if (this.#observing) {
      throw new UsageError(
        `${this.constructor.name} fired "${name}" from an OnChange listener, which only observes; ` +
          'fire from a command, or react to events with ListenTo or ListenFor',
      );
    }
    this.#refuseWhileApplying(`fired "${name}"`, name);
    validateEventName(name);
    if (isReservedEventName(name)) {
      throw new InvalidEventError(
        'name',
        `"${name}" is reserved: it names a member of the actor base classes`,
      );
    }
    const { maxEventBytes } = this.container.store.limits;
    const className = this.constructor.name;
    // A reaction's events have ids derived from it, so that two nodes reacting store it once.
    const id =
      ownReaction === undefined
        ? this.container.newId()
        : derivedEventId(
            'reaction',
            this.id,
            className,
            ownReaction.listener,
            ownReaction.cause.id,
            String(ownReaction.fired.length),
          );
    if (ownReaction !== undefined) {
      // Stored already (by this reaction's earlier try, or by another node): it is this one's.
      const stored = this.#storedReactionEvent(ownReaction.listener, ownReaction.cause, id);
      if (stored !== undefined) {
        const landed = Promise.resolve(stored as StoredEvent<Name, Events[Name]>);
        ownReaction.fired.push(landed);
        return landed;
      }
    }
    const event = encodedEvent({
      id,
      name,
      dataJson: encodeJson(data, 'data', maxEventBytes),
      metaJson:
        reaction === undefined
          ? actorMetaJson(this.constructor)
          : encodeJson(
              ownReaction === undefined
                ? causedMeta(className, reaction.cause)
                : reactionMeta(className, ownReaction.listener, ownReaction.cause),
              'meta',
              maxEventBytes,
            ),
      at: this.container.clock.now().toISOString(),
    });
    // An un-awaited failure is reported through Flush and the hook.
    const firedEvent = firedEventOf(event);
    this.#policy.fired(firedEvent, this.#captured !== undefined);
    if (ownReaction !== undefined) {
      ownReaction.fired.push(firedEvent.promise);
      // Landing, it is not applied again (it was at Fire): it is kept as stored from its answer.
      firedEvent.promise.then(
        (stored) => this.#noteReaction(stored),
        () => undefined,
      );
    }
    (this.#captured ?? this.#queue).push(firedEvent);
    if (this.#captured === undefined) this.#draining ??= this.#drain();
    return firedEvent.promise as Promise<StoredEvent<Name, Events[Name]>>;
  }

  /** Waits until every event fired so far is stored; rejects with the first failure since the last Flush. */
  async Flush(): Promise<void> {
    checkUserMembers(this, this.constructor.name);
    await this.#settled();
    if (this.#failures.length > 0) {
      const [first] = this.#failures;
      this.#failures = [];
      throw first;
    }
  }

  /**
   * The machinery lent to the kind's policy. Its class is defined inside this class body, so that
   * its methods reach the private members while being shared by every actor (a set of closures per
   * actor would cost several kilobytes each).
   */
  static {
    listenersSettled = async (actor) => {
      await actor.#listening?.settled();
      await actor.#settled();
    };
    Machinery = class CoreMachinery implements ActorMachinery {
      readonly #core: ActorCore;
      constructor(core: ActorCore) {
        this.#core = core;
      }
      get id(): string {
        return this.#core.id;
      }
      get container(): Container {
        return this.#core.container;
      }
      get className(): string {
        return this.#core.constructor.name;
      }
      get actorClass(): SnapshotClass {
        return this.#core.constructor as SnapshotClass;
      }
      state(): object {
        return this.#core._state;
      }
      setState(state: object): void {
        this.#core._state = state as Record<string, unknown>;
      }
      version(): number {
        return this.#core.#version;
      }
      setVersion(version: number): void {
        this.#core.#version = version;
      }
      unhandled(): number {
        return this.#core.#unhandledEvents;
      }
      setUnhandled(count: number): void {
        this.#core.#unhandledEvents = count;
      }
      reactions(): ReactionCheckpoints {
        return this.#core.#reactions;
      }
      setReactions(checkpoints: ReactionCheckpoints): void {
        this.#core.#reactions = checkpoints;
      }
      refuseCommand(operation: string): void {
        this.#core.#refuseIfDisposed(operation);
        this.#core.#refuseWhileApplying(`started ${operation}`);
      }
      applyEvent(event: StoredEvent): void {
        this.#core.#applyEvent(event);
      }
      rebuild<T>(work: () => T, announce = true): T {
        const core = this.#core;
        core.#rebuilding++;
        try {
          return work();
        } finally {
          core.#rebuilding--;
          if (announce && core.#rebuilding === 0 && core.#observers !== undefined) core.#announce(undefined);
        }
      }
      exclusive<T>(work: () => Promise<T>): Promise<T> {
        return this.#core.#exclusive(work);
      }
      captureFired<R>(command: () => R): CapturedRun<R> {
        return this.#core.#captureFired(command);
      }
      async drained(): Promise<void> {
        while (this.#core.#draining !== undefined) await this.#core.#draining;
      }
      track(work: Promise<unknown>): void {
        this.#core.#track(work);
      }
      reportFailure(error: unknown, operation: string, event?: string): void {
        this.#core.#reportFailure(error, operation, event);
      }
      disposed(): boolean {
        return this.#core.#disposed;
      }
      reactingChanged(): void {
        this.#core.#listening?.changed();
      }
    };
  }

  #listeners(): Listening {
    if (this.#listening !== undefined) return this.#listening;
    this.#listening = new Listening({
      actor: this,
      id: this.id,
      className: this.constructor.name,
      container: this.container,
      reactions: () => this.#reactions,
      disposed: () => this.#disposed,
      mayReact: () => this.#policy.mayReact?.() ?? true,
      listenersChanged: (count) => this.#policy.listenersChanged?.(count),
    });
    if (this.#loaded) this.#listening.start();
    return this.#listening;
  }

  #captureFired<R>(command: () => R): CapturedRun<R> {
    if (this.#captured !== undefined) throw new UsageError('a captured command cannot run inside another');
    const fired: FiredEvent[] = [];
    this.#captured = fired;
    try {
      return { fired, threw: false, result: command() };
    } catch (error) {
      return { fired, threw: true, error };
    } finally {
      this.#captured = undefined;
    }
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lane.then(work);
    this.#lane = result.catch(() => undefined);
    return result;
  }

  #track(work: Promise<unknown>): void {
    const tracked = (this.#tracked ??= new Set());
    const settle = () => tracked.delete(work);
    tracked.add(work);
    work.then(settle, settle);
  }

  #applyEvent(event: StoredEvent): void {
    if (event.version <= this.#version) return;
    if (event.version !== this.#version + 1) {
      throw new UsageError(
        `${this.constructor.name} "${this.id}" is at version ${this.#version} and cannot apply version ${event.version}`,
      );
    }
    // Upcasters change what old events mean, never what is stored: each event they make of this
    // one is handled at its version, and a failure leaves the state before all of them.
    const upcasters = upcastersOf(this.constructor);
    if (!upcasters.has(event.name)) this.#runHandler(event);
    else for (const seen of upcastEvent(upcasters, this.constructor.name, event)) this.#runHandler(seen);
    this.#version = event.version;
    if (event.meta.reaction !== undefined) this.#noteReaction(event);
    if (this.#observers !== undefined && this.#rebuilding === 0) this.#announce(event);
  }

  /** Tells every `OnChange` listener of the state now shown, and of the event that made it, if one did. */
  #announce(event: StoredEvent | undefined): void {
    const observers = this.#observers;
    if (observers === undefined || observers.size === 0) return;
    this.#observing = true;
    try {
      for (const observer of [...observers]) {
        try {
          observer(this._state, event);
        } catch (error) {
          this.#reportToHook(error, 'OnChange', event?.name);
        }
      }
    } finally {
      this.#observing = false;
    }
  }

  #storedReactionEvent(listener: string, cause: StoredEvent, id: string): StoredEvent | undefined {
    const last = this.#lastReactions?.get(listener);
    if (last === undefined) return undefined;
    const place = checkpointOf({ listener, version: cause.version, position: cause.position });
    return last.place === place ? last.events.find((each) => each.id === id) : undefined;
  }

  /** A reaction of this class applied: its listener's checkpoint moves, and a stored one is kept. */
  #noteReaction(event: StoredEvent): void {
    const cause = reactionCauseOf(event, this.constructor.name);
    if (cause === undefined) return;
    this.#reactions = advanceCheckpoints(this.#reactions, cause);
    if (event.position === 0) return; // fired here, not stored yet
    const lastReactions = (this.#lastReactions ??= new Map<
      string,
      { place: number; events: StoredEvent[] }
    >());
    const place = checkpointOf(cause);
    const last = lastReactions.get(cause.listener);
    if (last === undefined || last.place < place)
      lastReactions.set(cause.listener, { place, events: [event] });
    else if (last.place === place && !last.events.some((each) => each.id === event.id))
      last.events.push(event);
  }

  /** Runs the handler of `event` against the current state, with firing forbidden. */
  #runHandler(event: StoredEvent): void {
    const handler = handlersOf(Object.getPrototypeOf(this) as object).get(event.name);
    if (handler === undefined) {
      this.#unhandledEvents++;
      return;
    }
    this.#applying = event.name;
    try {
      const result = handler.call(this, event.data, event);
      if (isThenable(result)) {
        settleQuietly(result);
        throw new UsageError('a handler must be synchronous: state is derived from events without waiting');
      }
    } catch (error) {
      throw new HandlerError(this.constructor.name, event, error);
    } finally {
      this.#applying = undefined;
    }
  }

  #reportFailure(error: unknown, operation: string, event?: string): void {
    this.#failures.push(error);
    this.#reportToHook(error, operation, event);
  }

  /** Tells the container's error hook; a hook that throws is logged, and a logger that throws ignored. */
  #reportToHook(error: unknown, operation: string, event?: string): void {
    try {
      this.container.onError(error, {
        operation,
        actor: this.constructor.name,
        stream: this.id,
        ...(event === undefined ? {} : { event }),
      });
    } catch (hookError) {
      try {
        this.container.logger.error('the error hook threw', { error: hookError });
      } catch {
        // Both the hook and the logger threw: the failure still reaches Flush.
      }
    }
  }

  async #drain(): Promise<void> {
    // Let the rest of the current command fire too, so its events go in one append.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#exclusive(() => {
          // A base constructor may have fired before a subclass's fields existed: check them now,
          // before anything is stored, so that a field replacing Load or Flush cannot go unseen.
          checkUserMembers(this, this.constructor.name);
          return this.#policy.appendFired(batch);
        }).catch((error: unknown) => {
          for (const fired of batch) fired.reject(error);
          this.#reportFailure(error, 'append', batch.map((fired) => fired.event.name).join(', '));
        });
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #refuseIfDisposed(operation: string): void {
    if (this.#disposed) {
      throw new UsageError(`${this.constructor.name} "${this.id}" was disposed; it cannot ${operation}`);
    }
    // Fields a subclass declares are set after the core's constructor ran: checked on each use
    // (a few own properties), since a base constructor may already have used the actor.
    checkUserMembers(this, this.constructor.name);
  }

  /**
   * `fired`: the event a `Fire` names. A handler that fires the very event it handles is a method
   * written as a command and named after its event: being its handler, it runs again when the event
   * is applied. The message says so, since "handlers only change state" alone would puzzle.
   */
  #refuseWhileApplying(what: string, fired?: string): void {
    const applying = this.#applying;
    if (applying === undefined) return;
    const className = this.constructor.name;
    if (fired !== undefined && fired === applying) {
      throw new UsageError(
        `${className}.${fired} fires "${fired}", the event it is named after: a method named after an ` +
          `event is that event's handler, so it runs again when the event is applied and cannot fire. ` +
          'Rename the command or the event (the convention: DoThing commands, thing_done events)',
      );
    }
    throw new UsageError(
      `${className} ${what} from inside a handler (${className}.${applying}); handlers only change state, commands fire`,
    );
  }

  async #settled(): Promise<void> {
    for (;;) {
      if (this.#draining !== undefined) await this.#draining;
      else if (this.#tracked !== undefined && this.#tracked.size > 0)
        await Promise.allSettled([...this.#tracked]);
      else return;
    }
  }
}

const NO_REACTIONS: ReactionCheckpoints = Object.freeze({});

/** The metadata every event of a class carries, encoded once per class: a class name is always JSON-safe. */
const actorMetaTexts = new WeakMap<object, string>();

function actorMetaJson(actorClass: { readonly name: string }): string {
  let text = actorMetaTexts.get(actorClass);
  if (text === undefined) {
    text = JSON.stringify({ actor: actorClass.name });
    actorMetaTexts.set(actorClass, text);
  }
  return text;
}

registerLibraryClass(ActorCore);
