/**
 * A story's chain after `When`: it collects the assertions (each at most once, all before the
 * story runs), and runs the story once, the first time it is awaited, however many times it is
 * awaited: every `then`, `catch` and `finally` shares that one run.
 */
import { UsageError } from '../index.js';
import type { ExpectedEvent } from './events.js';
import { formatShort } from './format.js';
import { runStory, type StoryRecord } from './run-story.js';
import { assertionFailure, type Assertions } from './story-assertions.js';
import type { Setup } from './story-setup.js';
import type {
  ActorClass,
  ActorUnderTest,
  CheckedEvents,
  CommandName,
  CommandResult,
  Expectation,
  GivenEvent,
  StateExpectation,
  StateOf,
  Story,
  StoryResult,
} from './story-types.js';
import type { ThrownExpectation } from './throws.js';

export class StoryChain<A extends ActorUnderTest, M extends CommandName<A>> implements Story<A, M> {
  readonly #assertions: Assertions = {};
  #run: Promise<StoryResult<A, M>> | undefined;

  constructor(
    private readonly story: string,
    private readonly given: readonly GivenEvent[],
    private readonly setup: Setup,
    private readonly actorClass: ActorClass<A>,
    /** The command; `undefined` for a story with none (`WhenLoaded`). */
    private readonly method: M | undefined,
    private readonly args: readonly unknown[],
  ) {}

  Then<const Events extends readonly ExpectedEvent[]>(events: CheckedEvents<A, Events>): this {
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
    this.#refuseWithoutCommand('AndReturns');
    return this.#assert('returned', 'AndReturns', { value });
  }

  ThenThrows(expected: ThrownExpectation): this {
    this.#refuseWithoutCommand('ThenThrows');
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

  /** A story with no command has nothing that returns or throws (its types do not offer these). */
  #refuseWithoutCommand(operator: string): void {
    if (this.method === undefined) {
      throw new UsageError(
        `${this.story}: ${operator} checks a command, and WhenLoaded runs none; use When(Class, command, ...args)`,
      );
    }
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

  #start(): Promise<StoryResult<A, M>> {
    this.#run ??= runStory(
      {
        story: this.story,
        given: this.given,
        setup: this.setup,
        actorClass: this.actorClass,
        method: this.method,
        args: this.args,
        streams: this.#coveredStreams(),
        expectsThrow: this.#assertions.thrown !== undefined,
      },
      (record) => this.#judge(record),
    );
    return this.#run;
  }

  /** The streams whose fired events `Then` looks at: the actor's, and every stream it names. */
  #coveredStreams(): string[] {
    const named = (this.#assertions.events ?? []).map((event) => event.stream ?? this.setup.id);
    return [...new Set([this.setup.id, ...named])];
  }

  /** Throws the chain's failed assertions, or resolves what the story did. */
  #judge({ actor, container, className, fired, outcome }: StoryRecord<A>): StoryResult<A, M> {
    const failure = assertionFailure(this.story, this.#assertions, {
      actorId: this.setup.id,
      className,
      method: this.method ?? 'Load',
      streams: this.#coveredStreams(),
      fired,
      state: actor.state,
      outcome,
    });
    if (failure !== undefined) throw failure;
    return {
      actor,
      container,
      events: fired,
      state: actor.state as StateOf<A>,
      returned: outcome.threw ? undefined : (outcome.returned as CommandResult<A, M>),
      thrown: outcome.threw ? outcome.error : undefined,
    };
  }
}
