/**
 * The types of the story DSL: what `Given` takes (events, options), what `When` accepts (an actor
 * class and one of its commands with its arguments), what the chain's assertions accept, and what
 * an awaited story resolves to. Generics carry the actor's state, event names and command
 * signatures through the chain, so a story is checked at compile time without casts.
 */
import type { Container, EventMeta, StoredEvent } from '../index.js';
import type { ExpectedEvent } from './events.js';
import type { Placeholder } from './placeholders.js';
import type { ThrownExpectation } from './throws.js';

/** An event already in the store when the story begins. */
export interface GivenEvent {
  readonly name: string;
  /** Omitted: stored as `null`, as `Fire(name)` would. */
  readonly data?: unknown;
  /** The stream it belongs to. Omitted: the actor under test's. */
  readonly stream?: string;
  readonly meta?: EventMeta;
}

export interface GivenOptions {
  /** The id of the actor under test, which is also its stream (default `'actor-under-test'`). */
  id?: string;
  /**
   * The time the story's clock stands still at, stamped on every event's `at` (default
   * `2024-01-01T00:00:00.000Z`). Not with `container`, whose clock is its own.
   */
  now?: Date | string;
  /** User services added to the container, e.g. a fake token generator. Not with `container`. */
  services?: Record<string, unknown>;
  /** Run against this container instead of a fresh in-memory one (e.g. one on SQLite). */
  container?: Container;
  /** Constructor arguments after the id and the container: `new X(id, container, ...constructorArgs)`. */
  constructorArgs?: readonly unknown[];
}

/** What a story needs of the class under test: the actor core's lifecycle and its state. */
export interface ActorUnderTest {
  readonly id: string;
  readonly state: object;
  Load(): Promise<unknown>;
  Flush(): Promise<void>;
}

/** A class whose instances are built as `new X(id, container, ...extra)`. */
export type ActorClass<A extends ActorUnderTest> = new (
  id: string,
  container: Container,
  ...extra: any[]
) => A;

/** The names of an actor's methods: what `When` can call. */
export type CommandName<A> = {
  [Key in keyof A]-?: A[Key] extends (...args: any[]) => unknown ? Key : never;
}[keyof A] &
  string;

export type CommandArgs<A, M extends keyof A> = A[M] extends (...args: infer Args) => unknown ? Args : never;

/** What a command resolves to (a command returning a promise is awaited). */
export type CommandResult<A, M extends keyof A> = A[M] extends (...args: any[]) => infer R
  ? Awaited<R>
  : never;

export type StateOf<A> = A extends { readonly state: infer State } ? State : never;

/**
 * The names of the events an actor can fire, read from its `Fire` signature: the keys of its
 * event map for a typed actor, `string` otherwise. (The data of each event cannot be read back
 * from a generic method's signature, so `Then` checks names at compile time, data at run time.)
 */
export type EventNamesOf<A> = A extends { Fire(name: infer Name, ...rest: any[]): unknown }
  ? Name & string
  : string;

/**
 * An expected value: the value's own type, where any part may be replaced by a placeholder and a
 * `Date` may be given as its ISO-8601 string.
 */
export type Expectation<T> =
  | Placeholder
  | (T extends Date
      ? Date | string
      : T extends readonly (infer Item)[]
        ? readonly Expectation<Item>[]
        : T extends (...args: any[]) => unknown
          ? T
          : T extends object
            ? { readonly [Key in keyof T]: Expectation<T[Key]> }
            : T);

/** An expected event: one the actor under test can fire, or any event of a stream it names. */
export type ExpectedEventOf<A> =
  | (ExpectedEvent<EventNamesOf<A>> & { readonly stream?: undefined })
  | (ExpectedEvent & { readonly stream: string });

/** `AndState`'s argument: some of the state's keys, each with its whole expected value. */
export type StateExpectation<State> = { readonly [Key in keyof State]?: Expectation<State[Key]> };

/** What an awaited story resolves to, for checks the chain does not offer. */
export interface StoryResult<A extends ActorUnderTest, M extends keyof A = keyof A> {
  /**
   * The actor under test, after the command and `Flush()`, and disposed (for a kind with
   * `Dispose`): its state stays readable, but it no longer listens or fires.
   */
  readonly actor: A;
  readonly container: Container;
  /** The events the command fired, in store order (the actor's stream and every stream `Then` names). */
  readonly events: readonly StoredEvent[];
  readonly state: StateOf<A>;
  /** What the command returned, awaited (`undefined` when it threw). */
  readonly returned: CommandResult<A, M> | undefined;
  /** What the command threw, when `ThenThrows` expected it (`undefined` otherwise). */
  readonly thrown: unknown;
}

/** A story with its command: assertions may be added in any order, then the story is awaited. */
export interface Story<A extends ActorUnderTest, M extends CommandName<A>> extends PromiseLike<
  StoryResult<A, M>
> {
  /**
   * The events the command fired, exactly and in order: a missing or extra event fails. Events
   * without `stream` are the actor's; each event's `data` is matched exactly (placeholders aside),
   * and not at all when omitted; `meta` is matched on the keys it names.
   */
  Then(events: readonly ExpectedEventOf<A>[]): this;
  /** The state after the command, on the keys named: each named key's value is matched whole. */
  AndState(state: StateExpectation<StateOf<A>>): this;
  /** The command's return value, awaited, matched whole (placeholders allowed). */
  AndReturns(value: Expectation<CommandResult<A, M>>): this;
  /**
   * The command threw, or its promise rejected, or `Flush()` rejected after it (an event that
   * could not be stored). `expected` is an error class, a string the message contains, a RegExp
   * the message matches, or properties the error must have: `{ code: 'INVALID_EVENT' }`.
   */
  ThenThrows(expected: ThrownExpectation): this;
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<StoryResult<A, M> | R>;
  finally(onFinally?: (() => void) | null): Promise<StoryResult<A, M>>;
}

/** A story's past: what `When` runs against. */
export interface Scenario {
  /**
   * Builds the actor (`new actorClass(id, container, ...constructorArgs)`), loads it, calls
   * `actor[method](...args)`, awaits what it returns, flushes the actor, and disposes it once the
   * story has run, whatever the outcome.
   */
  When<A extends ActorUnderTest, M extends CommandName<A>>(
    actorClass: ActorClass<A>,
    method: M,
    ...args: CommandArgs<A, M>
  ): Story<A, M>;
}
