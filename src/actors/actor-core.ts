/**
 * The shared actor core: identity, state, handler dispatch, `Fire`, `Flush` and `Load`. The kinds
 * (`Actor`, `LiveActor`, …) differ only in their policy between `Fire` and the store, which they
 * give by implementing `appendFired`; everything else lives here once.
 *
 * Guarantees:
 * - events are applied in version order, each once; `version` is the last applied one;
 * - fired events are appended in the order they were fired; events fired while an append is in
 *   flight go together in the next append;
 * - a `Fire` that is never awaited causes no unhandled rejection: its failure reaches `Flush()`
 *   and the container's error hook;
 * - a handler cannot fire (state is derived from events, never the reverse).
 */
import type { Container } from '../container.js';
import { HandlerError, InvalidEventError, UsageError } from '../errors.js';
import type { EventMap, NewEvent, StoredEvent } from '../events/envelope.js';
import { encodeJson } from '../events/json-data.js';
import { validateEventName, validateStreamId } from '../events/names.js';
import { handlersOf, isReservedEventName, registerLibraryClass } from './handlers.js';

/** How many events `Load` reads per round trip. */
const LOAD_PAGE_SIZE = 10_000;

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

/** An event fired but not yet stored, waiting for its append. */
export interface FiredEvent {
  readonly event: NewEvent & { id: string };
  readonly resolve: (stored: StoredEvent) => void;
  readonly reject: (error: unknown) => void;
}

export abstract class ActorCore<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> {
  /** The actor's id, which is also the id of its stream. */
  readonly id: string;
  readonly container: Container;
  /** The actor's state, derived from its events by its handlers. */
  protected _state: State = {} as State;

  #version = 0;
  #unhandledEvents = 0;
  #applying = false;
  #queue: FiredEvent[] = [];
  #draining: Promise<void> | undefined;
  #failures: unknown[] = [];
  /** While a command runs under `captureFired`, the events it fires, kept out of the queue. */
  #captured: FiredEvent[] | undefined;
  #disposed = false;
  /** Serialises everything that applies events (Load, appends) so they never interleave. */
  #lane: Promise<unknown> = Promise.resolve();

  constructor(id: string, container: Container) {
    validateStreamId(id, 'id');
    if (typeof container !== 'object' || container === null || container.store === undefined) {
      throw new UsageError(
        `${new.target.name} needs a container: new ${new.target.name}(id, createContainer({ store }))`,
      );
    }
    this.id = id;
    this.container = container;
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

  /** Applies every stored event after `version`, in version order. Resolves to the actor. */
  async Load(): Promise<this> {
    this.#refuseIfDisposed('Load');
    await this.#settled();
    await this.exclusive(() => this.catchUp());
    await this.afterLoad();
    return this;
  }

  /**
   * Waits for every fired event to be stored, then lets the actor go: a live actor stops
   * listening. A disposed actor refuses `Load` and `Fire`.
   */
  async Dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#settled();
    await this.onDispose();
  }

  /**
   * Records an event. Resolves to the stored event; a failure also reaches `Flush()` and the
   * container's error hook, so the promise may be left un-awaited. Invalid names and data throw
   * `InvalidEventError` at once, and nothing is recorded.
   */
  Fire<Name extends keyof Events & string>(
    name: Name,
    ...[data]: FireData<Events[Name]>
  ): Promise<StoredEvent<Name, Events[Name]>> {
    this.#refuseIfDisposed('Fire');
    if (this.#applying) {
      throw new UsageError(
        `${this.constructor.name} fired "${name}" from inside a handler; handlers only change state, commands fire`,
      );
    }
    validateEventName(name);
    if (isReservedEventName(name)) {
      throw new InvalidEventError(
        'name',
        `"${name}" is reserved: it names a member of the actor base classes`,
      );
    }
    const { maxEventBytes } = this.container.store.limits;
    encodeJson(data, 'data', maxEventBytes);
    const event = {
      id: this.container.newId(),
      name,
      data: data ?? null,
      meta: { actor: this.constructor.name },
      at: this.container.clock.now().toISOString(),
    };
    this.beforeQueue(event);
    const stored = new Promise<StoredEvent>((resolve, reject) => {
      (this.#captured ?? this.#queue).push({ event, resolve, reject });
    });
    if (this.#captured === undefined) this.#draining ??= this.#drain();
    // Marks the promise as handled: an un-awaited failure is reported through Flush and the hook.
    stored.catch(() => undefined);
    return stored as Promise<StoredEvent<Name, Events[Name]>>;
  }

  /** Waits until every event fired so far is stored; rejects with the first failure since the last Flush. */
  async Flush(): Promise<void> {
    await this.#settled();
    if (this.#failures.length > 0) {
      const [first] = this.#failures;
      this.#failures = [];
      throw first;
    }
  }

  /** Called synchronously by `Fire` before the event is queued: a kind may apply it locally. */
  protected beforeQueue(_event: NewEvent & { id: string }): void {}

  /** Called at the end of every `Load`: a kind may start listening. */
  protected async afterLoad(): Promise<void> {}

  /** Called once by `Dispose`, after every fired event is stored. */
  protected async onDispose(): Promise<void> {}

  /**
   * Runs a synchronous command and returns the events it fired instead of queueing them, so the
   * kind can append them as one group, or drop them.
   */
  protected captureFired<R>(
    command: () => R,
  ): { fired: FiredEvent[] } & ({ threw: false; result: R } | { threw: true; error: unknown }) {
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

  /** Resolves once nothing fired is waiting or in flight. Never rejects. */
  protected async settled(): Promise<void> {
    await this.#settled();
  }

  /**
   * The kind's policy: store the fired events (in order), resolve each with its stored event, and
   * apply them. Runs inside `exclusive`, one batch at a time. If it throws, every event of the batch
   * is rejected with that error, which is reported: it must throw only when none of them was stored.
   */
  protected abstract appendFired(batch: FiredEvent[]): Promise<void>;

  /** Runs `work` after every earlier exclusive work of this actor, and before any later one. */
  protected exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lane.then(work);
    this.#lane = result.catch(() => undefined);
    return result;
  }

  /** Reads and applies every stored event after `version`. */
  protected async catchUp(toVersion?: number): Promise<void> {
    for (;;) {
      const events = await this.container.store.readStream(this.id, {
        fromVersion: this.#version + 1,
        ...(toVersion === undefined ? {} : { toVersion }),
        limit: LOAD_PAGE_SIZE,
      });
      for (const event of events) this.applyEvent(event);
      if (events.length < LOAD_PAGE_SIZE) return;
    }
  }

  /** Applies one event through its handler, if the class has one. Already applied versions are skipped. */
  protected applyEvent(event: StoredEvent): void {
    if (event.version <= this.#version) return;
    if (event.version !== this.#version + 1) {
      throw new UsageError(
        `${this.constructor.name} "${this.id}" is at version ${this.#version} and cannot apply version ${event.version}`,
      );
    }
    this.runHandler(event);
    this.#version = event.version;
  }

  /** Runs the handler of `event` against the current state, with firing forbidden. */
  protected runHandler(event: StoredEvent): void {
    const handler = handlersOf(Object.getPrototypeOf(this) as object).get(event.name);
    if (handler === undefined) {
      this.#unhandledEvents++;
      return;
    }
    this.#applying = true;
    try {
      const result = handler.call(this, event.data, event);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        throw new UsageError('a handler must be synchronous: state is derived from events without waiting');
      }
    } catch (error) {
      throw new HandlerError(this.constructor.name, event, error);
    } finally {
      this.#applying = false;
    }
  }

  /** Sets the version directly, for kinds that rebuild state (after a rebase or a rollback). */
  protected setVersion(version: number): void {
    this.#version = version;
  }

  /** Reports a failure to the error hook and keeps it for the next `Flush`. */
  protected reportFailure(error: unknown, operation: string, event?: string): void {
    this.#failures.push(error);
    try {
      this.container.onError(error, {
        operation,
        actor: this.constructor.name,
        stream: this.id,
        ...(event === undefined ? {} : { event }),
      });
    } catch (hookError) {
      this.container.logger.error('the error hook threw', { error: hookError });
    }
  }

  async #drain(): Promise<void> {
    // Let the rest of the current command fire too, so its events go in one append.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.exclusive(() => this.appendFired(batch)).catch((error: unknown) => {
          for (const fired of batch) fired.reject(error);
          this.reportFailure(error, 'append', batch.map((fired) => fired.event.name).join(', '));
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
  }

  async #settled(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }
}

registerLibraryClass(ActorCore);
