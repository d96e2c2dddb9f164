/**
 * The types of the story DSL: what `Given` takes (events, options), what `When` accepts (an actor
 * class and one of its commands with its arguments), what the chain's assertions accept, and what
 * an awaited story resolves to. Generics carry the actor's state, event map and command
 * signatures through the chain, so a story is checked at compile time without casts: `When` takes
 * only the class's commands (never a typed actor's handlers nor the library's members), and `Then`
 * checks each of the actor's expected events against its event map, naming a misspelt event.
 */
import type {
  ActorCore,
  Container,
  EventMeta,
  LiveActor,
  OneActor,
  StoredEvent,
  TickActor,
} from '../index.js';
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

/**
 * The members the library's actor classes give every actor (`Load`, `Fire`, `state`, `version`,
 * `RerunOnConflict`, …), and `then`, which no actor may define: never a command.
 */
type LibraryMember = keyof ActorCore<any, any> | keyof LiveActor | keyof OneActor | keyof TickActor | 'then';

/**
 * The handlers of a typed actor: the names of its event map. An untyped actor's handlers cannot be
 * told from its commands, so none is excluded.
 */
type HandlerName<A> = string extends EventNamesOf<A> ? never : EventNamesOf<A>;

/**
 * What `When` can call: the methods of the user's class that are not handlers (for a typed actor)
 * and not members of the library's actor classes.
 */
export type CommandName<A> = {
  [Key in keyof A]-?: Key extends LibraryMember | HandlerName<A>
    ? never
    : A[Key] extends (...args: any[]) => unknown
      ? Key
      : never;
}[keyof A] &
  string;

export type CommandArgs<A, M extends keyof A> = A[M] extends (...args: infer Args) => unknown ? Args : never;

/**
 * What a command resolves to (a command returning a promise is awaited); `undefined` for a story
 * with no command (`M` is `never`).
 */
export type CommandResult<A, M extends keyof A> = [M] extends [never]
  ? undefined
  : A[M] extends (...args: any[]) => infer R
    ? Awaited<R>
    : never;

export type StateOf<A> = A extends { readonly state: infer State } ? State : never;

/**
 * The names of the events an actor can fire, read from its `Fire` signature: the keys of its
 * event map for a typed actor, `string` otherwise.
 */
export type EventNamesOf<A> = A extends { Fire(name: infer Name, ...rest: any[]): unknown }
  ? Name & string
  : string;

/**
 * The data of a typed actor's event `Name`, read back from its `Fire` signature (`any` for an
 * untyped actor).
 *
 * `Fire` is generic in the event's name, and a generic signature only gives up the union of every
 * event's data. So each member of that union is kept when `Fire(name, data)` accepts it for this
 * name, and of those the widest: a member that another event's narrower data type would match
 * too is dropped. Where the union has lost the event's own type (an event whose data is `unknown`
 * absorbs every other, `string` absorbs a literal), the data is `unknown` and is matched at run
 * time only: the type never refuses data that `Fire` accepts.
 */
export type EventDataOf<A, Name extends string> = [AcceptedData<A, Name>] extends [never]
  ? unknown
  : Widest<AcceptedData<A, Name>>;

type FireOf<A> = A extends { Fire: infer Fire } ? Fire : never;

/** The union of the data of every event the actor can fire. */
type AnyEventData<A> = A extends { Fire(name: any, ...data: infer Rest): unknown }
  ? Rest extends readonly [infer Data]
    ? Data
    : Rest extends readonly [(infer Data)?]
      ? Data | undefined
      : never
  : never;

/** The members of `AnyEventData` that `Fire` accepts as the data of `Name`. */
type AcceptedData<A, Name extends string> =
  AnyEventData<A> extends infer Data
    ? Data extends unknown
      ? FireOf<A> extends (name: Name, data: Data) => unknown
        ? Data
        : never
      : never
    : never;

/** The members of a union that no other member is strictly wider than. */
type Widest<All, Member = All> = Member extends unknown
  ? true extends HasWider<All, Member>
    ? never
    : Member
  : never;

type HasWider<All, Member> = All extends unknown
  ? [Member] extends [All]
    ? [All] extends [Member]
      ? false
      : true
    : false
  : never;

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

/**
 * An expected event of the actor under test: for a typed actor, one of its event names with that
 * event's data (placeholders allowed); for an untyped one, any name and data. An event of another
 * stream (`stream` given) is not the actor's, so any name and data.
 */
export type ExpectedEventOf<A> =
  | (string extends EventNamesOf<A>
      ? ExpectedEvent & { readonly stream?: undefined }
      : {
          [Name in EventNamesOf<A>]: ExpectedEvent<Name, Expectation<EventDataOf<A, Name>>> & {
            readonly stream?: undefined;
          };
        }[EventNamesOf<A>])
  | (ExpectedEvent & { readonly stream: string });

/**
 * What `Then` checks each expected event against, given the event as written (`Event`): the
 * event of that name, when the actor has it; otherwise an event whose name must be one of the
 * actor's, so that a misspelt name is reported as that name.
 */
export type CheckedEvent<A, Event> = Event extends { readonly stream: string }
  ? ExpectedEvent & { readonly stream: string }
  : string extends EventNamesOf<A>
    ? ExpectedEvent & { readonly stream?: undefined }
    : Event extends { readonly name: infer Name extends EventNamesOf<A> }
      ? ExpectedEvent<Name, Expectation<EventDataOf<A, Name>>> & { readonly stream?: undefined }
      : ExpectedEvent<EventNamesOf<A>> & { readonly stream?: undefined };

/**
 * `Then`'s argument: the events as written, each checked by `CheckedEvent`. (An empty list needs no
 * check; the condition also lets the events be inferred before they are checked.)
 */
export type CheckedEvents<A, Events extends readonly unknown[]> = Events extends readonly []
  ? Events
  : { readonly [Index in keyof Events]: CheckedEvent<A, Events[Index]> };

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

/**
 * What every story can assert, in any order, before it is awaited: the events fired and the state
 * left. `Result` is what the awaited story resolves to.
 */
export interface StoryChecks<A extends ActorUnderTest, Result> extends PromiseLike<Result> {
  /**
   * The events fired, exactly and in order: a missing or extra event fails. Events without
   * `stream` are the actor's: for a typed actor, each must be one of its events, with that event's
   * data (placeholders allowed). Each event's `data` is matched exactly (placeholders aside), and
   * not at all when omitted; `meta` is matched on the keys it names.
   */
  Then<const Events extends readonly ExpectedEvent[]>(events: CheckedEvents<A, Events>): this;
  /** The state after the story, on the keys named: each named key's value is matched whole. */
  AndState(state: StateExpectation<StateOf<A>>): this;
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Result | R>;
  finally(onFinally?: (() => void) | null): Promise<Result>;
}

/** A story with its command: what it fired, the state it left, what it returned or threw. */
export interface Story<A extends ActorUnderTest, M extends CommandName<A>> extends StoryChecks<
  A,
  StoryResult<A, M>
> {
  /** The command's return value, awaited, matched whole (placeholders allowed). */
  AndReturns(value: Expectation<CommandResult<A, M>>): this;
  /**
   * The command threw, or its promise rejected, or `Flush()` rejected after it (an event that
   * could not be stored). `expected` is an error class, a string the message contains, a RegExp
   * the message matches, or properties the error must have: `{ code: 'INVALID_EVENT' }`.
   */
  ThenThrows(expected: ThrownExpectation): this;
}

/**
 * A story with no command: the actor is loaded, and what its listeners did with the given events
 * is what `Then` and `AndState` check.
 */
export type LoadedStory<A extends ActorUnderTest> = StoryChecks<A, StoryResult<A, never>>;

/** A story's past: what `When` runs against. */
export interface Scenario {
  /**
   * Builds the actor (`new actorClass(id, container, ...constructorArgs)`), loads it, calls
   * `actor[method](...args)`, awaits what it returns, flushes the actor, and disposes it once the
   * story has run, whatever the outcome. `method` is one of the class's commands: not a handler of
   * a typed actor, nor a member of the library's actor classes (`Load`, `Fire`, …).
   */
  When<A extends ActorUnderTest, M extends CommandName<A>>(
    actorClass: ActorClass<A>,
    method: M,
    ...args: CommandArgs<A, M>
  ): Story<A, M>;
  /**
   * Builds and loads the actor, with no command: for an actor that only reacts (a process manager
   * whose listeners fire when they hear the given events), or to check the state the given events
   * make. The story waits for the listeners to be done, flushes the actor and disposes it.
   */
  WhenLoaded<A extends ActorUnderTest>(actorClass: ActorClass<A>): LoadedStory<A>;
}
