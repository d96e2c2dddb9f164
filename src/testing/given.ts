/**
 * The story builder behind `Given(…).When(…).Then(…)`: it puts the given events in a fresh
 * in-memory store, runs one command on a freshly loaded actor, and checks what the command fired,
 * the state it left, what it returned or threw. It runs once, when first awaited, and fails with
 * one `AssertionError` listing every mismatch of every assertion in the chain.
 */
import {
  UsageError,
  createContainer,
  memoryStore,
  type Container,
  type EventMeta,
  type StoredEvent,
} from '../index.js';
import { AssertionError } from './assertion-error.js';
import { diffValues } from './diff.js';
import { compareEvents, type ExpectedEvent } from './events.js';
import { formatShort } from './format.js';
import { compareValues, comparePartial, describeMismatch, type Comparison } from './match.js';
import type { Placeholder } from './placeholders.js';
import { compareThrown, describeError, type Outcome, type ThrownExpectation } from './throws.js';

/** The actor id a story uses unless `options.id` names another. */
export const DEFAULT_ACTOR_ID = 'actor-under-test';
/** The time a story's clock stands at unless `options.now` names another. */
export const DEFAULT_NOW = '2024-01-01T00:00:00.000Z';

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
  /** The actor under test, after the command and `Flush()`. */
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
   * `actor[method](...args)`, awaits what it returns, and flushes the actor.
   */
  When<A extends ActorUnderTest, M extends CommandName<A>>(
    actorClass: ActorClass<A>,
    method: M,
    ...args: CommandArgs<A, M>
  ): Story<A, M>;
}

/**
 * Starts a story: `Given(story, events).When(Class, method, ...args)`, then any of `Then`,
 * `AndState`, `AndReturns` and `ThenThrows`, then `await`.
 *
 * ```ts
 * await Given('A user logs in for the first time', [
 *   { name: 'signup', data: { username: 'test', password: 'test' } },
 * ]).When(User, 'DoLoginAttempt', 'test', {})
 *   .Then([{ name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' } }])
 *   .AndState({ logged_in: true });
 * ```
 *
 * How a story runs:
 * - The given events are appended in the order given, each to its stream (the actor's when it
 *   names none), to a fresh in-memory store whose clock stands still at `options.now`; then the
 *   actor is built and loaded, the command runs and the actor is flushed. The story runs once, the
 *   first time it is awaited, however many times it is awaited; assertions must be added before.
 * - `Then` compares the events fired during the command into the actor's stream and into every
 *   stream an expected event names, in store order, with the expected events: all of them, in
 *   order. An expected event without `data` does not assert its data; `meta` is matched on the
 *   keys it names.
 * - `AndState` is partial at the top level only: keys it does not name are ignored, but the value
 *   under a named key is compared whole (an object there must have exactly the expected keys).
 *   `{ key: undefined }` asserts that the state has no value under `key`.
 * - Placeholders may stand anywhere in an expected value, at any depth: `'{string}'`,
 *   `'{number}'` (not NaN), `'{boolean}'`, `'{object}'` (a plain object), `'{array}'`, `'{uuid}'`,
 *   `'{date}'` (an ISO-8601 date-time string, or a valid Date), `'{any}'` (anything, `null` and
 *   `undefined` included, but the key must exist). An expected `Date` matches the same instant as a
 *   Date or as an ISO-8601 string.
 * - If the command throws (or its promise or `Flush()` rejects) and the chain has no
 *   `ThenThrows`, the story rejects with an `Error` naming the story, whose `cause` is what was
 *   thrown. A failure before the command (storing a given event, the constructor, `Load()`) rejects
 *   the same way. After a throw, `Then` and `AndState` still check what was stored and applied.
 * - A failed assertion rejects with an `AssertionError` whose message starts with the story, lists
 *   every mismatch by path (`[0].data.token: expected {string}, got 42`), then shows expected (`-`)
 *   against actual (`+`) for each failed assertion. Its `expected` has every placeholder that
 *   matched replaced by the value it matched, so a runner's own diff shows only real differences;
 *   with one failed assertion `expected` and `actual` are that assertion's values, with several
 *   they are objects keyed by `events`, `state`, `returned` and `thrown`.
 * - The store is not closed afterwards: the awaited result holds the container, to look further.
 */
export function Given(
  story: string,
  events: readonly GivenEvent[] = [],
  options: GivenOptions = {},
): Scenario {
  if (typeof story !== 'string' || story.trim() === '') {
    throw new UsageError('Given needs a story: a sentence saying what the test is about');
  }
  if (!Array.isArray(events)) throw new UsageError(`${story}: Given's events must be an array`);
  const setup = resolveOptions(story, options);
  const given = [...events];
  return {
    When(actorClass, method, ...args) {
      if (typeof actorClass !== 'function') {
        throw new UsageError(`${story}: When needs the actor's class, got ${formatShort(actorClass)}`);
      }
      if (typeof method !== 'string') {
        throw new UsageError(
          `${story}: When needs the name of the method to call, got ${formatShort(method)}`,
        );
      }
      return new StoryRun(story, given, setup, actorClass, method, args);
    },
  };
}

interface Setup {
  readonly id: string;
  readonly container: () => Container;
  readonly constructorArgs: readonly unknown[];
}

function resolveOptions(story: string, options: GivenOptions): Setup {
  if (options.container !== undefined && (options.services !== undefined || options.now !== undefined)) {
    throw new UsageError(
      `${story}: give either a container or services and now, not both; build the container with them instead`,
    );
  }
  const time = new Date(options.now ?? DEFAULT_NOW);
  if (Number.isNaN(time.getTime())) {
    throw new UsageError(`${story}: now is not a valid date: ${formatShort(options.now)}`);
  }
  const now = () => new Date(time.getTime());
  return {
    id: options.id ?? DEFAULT_ACTOR_ID,
    container: () =>
      options.container ??
      createContainer({ store: memoryStore({ now }), clock: { now }, ...options.services }),
    constructorArgs: options.constructorArgs ?? [],
  };
}

interface Assertions {
  events?: readonly ExpectedEvent[];
  state?: Readonly<Record<string, unknown>>;
  returned?: { readonly value: unknown };
  thrown?: ThrownExpectation;
}

/** One failed assertion of the chain. */
interface Failure {
  readonly operator: 'Then' | 'AndState' | 'AndReturns' | 'ThenThrows';
  readonly key: 'events' | 'state' | 'returned' | 'thrown';
  readonly title: string;
  readonly comparison: Comparison;
}

class StoryRun<A extends ActorUnderTest, M extends CommandName<A>> implements Story<A, M> {
  readonly #assertions: Assertions = {};
  #run: Promise<StoryResult<A, M>> | undefined;

  constructor(
    private readonly story: string,
    private readonly given: readonly GivenEvent[],
    private readonly setup: Setup,
    private readonly actorClass: ActorClass<A>,
    private readonly method: M,
    private readonly args: readonly unknown[],
  ) {}

  Then(events: readonly ExpectedEventOf<A>[]): this {
    if (!Array.isArray(events)) throw new UsageError(`${this.story}: Then needs an array of events`);
    return this.#assert('events', 'Then', [...(events as readonly ExpectedEvent[])]);
  }

  AndState(state: StateExpectation<StateOf<A>>): this {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new UsageError(`${this.story}: AndState needs an object of the state's keys to check`);
    }
    return this.#assert('state', 'AndState', state as Record<string, unknown>);
  }

  AndReturns(value: Expectation<CommandResult<A, M>>): this {
    return this.#assert('returned', 'AndReturns', { value });
  }

  ThenThrows(expected: ThrownExpectation): this {
    const valid =
      typeof expected === 'string' ||
      (typeof expected === 'object' && expected !== null) ||
      // An arrow function has no prototype, and `instanceof` would throw on it.
      (typeof expected === 'function' && typeof expected.prototype === 'object');
    if (!valid) {
      throw new UsageError(
        `${this.story}: ThenThrows needs an error class, a string, a RegExp or an object, got ${formatShort(expected)}`,
      );
    }
    return this.#assert('thrown', 'ThenThrows', expected);
  }

  then<R1 = StoryResult<A, M>, R2 = never>(
    onFulfilled?: ((result: StoryResult<A, M>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#start().then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<StoryResult<A, M> | R> {
    return this.#start().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<StoryResult<A, M>> {
    return this.#start().finally(onFinally);
  }

  #assert<K extends keyof Assertions>(key: K, operator: string, value: NonNullable<Assertions[K]>): this {
    if (this.#run !== undefined) {
      throw new UsageError(
        `${this.story}: ${operator} was added after the story ran; add every assertion before awaiting`,
      );
    }
    if (this.#assertions[key] !== undefined) {
      throw new UsageError(
        `${this.story}: ${operator} is already in this chain; give everything it checks in one call`,
      );
    }
    this.#assertions[key] = value;
    return this;
  }

  /** The streams whose fired events `Then` looks at: the actor's, and every stream it names. */
  #coveredStreams(): string[] {
    const named = (this.#assertions.events ?? []).map((event) => event.stream ?? this.setup.id);
    return [...new Set([this.setup.id, ...named])];
  }

  #start(): Promise<StoryResult<A, M>> {
    this.#run ??= this.#execute();
    return this.#run;
  }

  async #execute(): Promise<StoryResult<A, M>> {
    const { story, setup, actorClass, method } = this;
    const className = actorClass.name || 'the actor';
    const container = setup.container();
    const { store } = container;

    for (const [index, event] of this.given.entries()) {
      const stream = event.stream ?? setup.id;
      await failsAs(story, `given event [${index}] "${event.name}" could not be stored in "${stream}"`, () =>
        store.appendToStream(stream, [
          {
            name: event.name,
            data: event.data,
            at: container.clock.now(),
            ...(event.meta ? { meta: event.meta } : {}),
          },
        ]),
      );
    }

    // Fired events are read back from the store, per stream, from the version each had before.
    const versionsBefore = new Map<string, number>();
    for (const stream of this.#coveredStreams()) {
      versionsBefore.set(
        stream,
        await failsAs(story, `reading "${stream}" failed`, () => store.streamVersion(stream)),
      );
    }

    const actor = await failsAs(
      story,
      `new ${className}("${setup.id}", container${setup.constructorArgs.length > 0 ? ', …' : ''}) threw`,
      () => new actorClass(setup.id, container, ...setup.constructorArgs),
    );
    await failsAs(story, `${className}.Load() failed`, () => actor.Load());

    const command = (actor as Record<string, unknown>)[method];
    if (typeof command !== 'function') {
      throw new UsageError(
        `${story}\n  ${className} has no method "${method}" (it is ${formatShort(command)})`,
      );
    }
    let outcome: Outcome;
    try {
      outcome = {
        threw: false,
        returned: await (command as (...args: unknown[]) => unknown).apply(actor, [...this.args]),
      };
    } catch (error) {
      outcome = { threw: true, error };
    }
    try {
      await actor.Flush();
    } catch (error) {
      // A command's own error explains more than the failure of what it fired before throwing.
      if (!outcome.threw) outcome = { threw: true, error };
    }

    if (outcome.threw && this.#assertions.thrown === undefined) {
      throw new Error(`${story}\n  ${className}.${method}() threw ${describeError(outcome.error)}`, {
        cause: outcome.error,
      });
    }

    const fired: StoredEvent[] = [];
    for (const [stream, version] of versionsBefore) {
      fired.push(
        ...(await failsAs(story, `reading the events fired into "${stream}" failed`, () =>
          store.readStream(stream, { fromVersion: version + 1 }),
        )),
      );
    }
    fired.sort((left, right) => left.position - right.position);

    const failures = this.#check(fired, actor, outcome, className);
    if (failures.length > 0) throw assertionErrorOf(story, failures);
    return {
      actor,
      container,
      events: fired,
      state: actor.state as StateOf<A>,
      returned: outcome.threw ? undefined : (outcome.returned as CommandResult<A, M>),
      thrown: outcome.threw ? outcome.error : undefined,
    };
  }

  #check(fired: readonly StoredEvent[], actor: A, outcome: Outcome, className: string): Failure[] {
    const { events, state, returned, thrown } = this.#assertions;
    const command = `${className}.${this.method}()`;
    const failures: Failure[] = [];
    const check = (failure: Failure) => {
      if (failure.comparison.mismatches.length > 0) failures.push(failure);
    };
    if (events !== undefined) {
      check({
        operator: 'Then',
        key: 'events',
        title: `events fired into ${this.#coveredStreams()
          .map((stream) => JSON.stringify(stream))
          .join(', ')}`,
        comparison: compareEvents(events, fired, this.setup.id),
      });
    }
    if (state !== undefined) {
      check({
        operator: 'AndState',
        key: 'state',
        title: `state of ${className} "${this.setup.id}"`,
        comparison: comparePartial(state, actor.state, 'state'),
      });
    }
    if (returned !== undefined) {
      check({
        operator: 'AndReturns',
        key: 'returned',
        title: `value returned by ${command}`,
        comparison: outcome.threw
          ? {
              mismatches: [
                {
                  path: 'returned',
                  problem: `expected ${formatShort(returned.value)}, but ${command} threw ${describeError(outcome.error)}`,
                },
              ],
              expected: returned.value,
              actual: undefined,
            }
          : compareValues(returned.value, outcome.returned, 'returned'),
      });
    }
    if (thrown !== undefined) {
      check({
        operator: 'ThenThrows',
        key: 'thrown',
        title: `error thrown by ${command}`,
        comparison: compareThrown(thrown, outcome),
      });
    }
    return failures;
  }
}

function assertionErrorOf(story: string, failures: readonly Failure[]): AssertionError {
  const mismatches = failures.flatMap((failure) => failure.comparison.mismatches.map(describeMismatch));
  const diffs = failures.map(
    (failure) =>
      `${failure.operator}: ${failure.title} (- expected, + actual)\n${indent(
        diffValues(failure.comparison.expected, failure.comparison.actual),
        '  ',
      )}`,
  );
  const message = [story, indent(mismatches.join('\n'), '  '), '', indent(diffs.join('\n\n'), '  ')].join(
    '\n',
  );
  const [only] = failures;
  if (failures.length === 1 && only !== undefined) {
    return new AssertionError({
      message,
      expected: only.comparison.expected,
      actual: only.comparison.actual,
      operator: only.operator,
    });
  }
  return new AssertionError({
    message,
    expected: Object.fromEntries(failures.map((failure) => [failure.key, failure.comparison.expected])),
    actual: Object.fromEntries(failures.map((failure) => [failure.key, failure.comparison.actual])),
    operator: 'Given',
  });
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

/** Runs a step of the story's setup; a failure rejects with the story and the step, keeping the cause. */
async function failsAs<T>(story: string, step: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${story}\n  ${step}: ${describeError(error)}`, { cause: error });
  }
}
