/**
 * `Given(…).When(…).Then(…)`, the story DSL: it puts the given events in a fresh in-memory store,
 * runs one command on a freshly loaded actor, and checks what the command fired, the state it
 * left, what it returned or threw. It runs once, when first awaited, fails with one
 * `AssertionError` listing every mismatch of every assertion in the chain, and disposes the actor
 * whatever the outcome.
 *
 * This module is the entry point; the pieces are: `story-types` (what the DSL accepts and
 * returns), `story-setup` (options), `story-chain` (collecting assertions, running once),
 * `run-story` (the run itself) and `story-assertions` (checking and reporting).
 */
import { UsageError } from '../index.js';
import { formatShort } from './format.js';
import { StoryChain } from './story-chain.js';
import { resolveOptions } from './story-setup.js';
import type {
  ActorClass,
  ActorUnderTest,
  GivenEvent,
  GivenOptions,
  LoadedStory,
  Scenario,
} from './story-types.js';

export { DEFAULT_ACTOR_ID, DEFAULT_NOW } from './story-setup.js';
export type {
  ActorClass,
  ActorUnderTest,
  CheckedEvent,
  CheckedEvents,
  CommandArgs,
  CommandName,
  CommandResult,
  EventDataOf,
  EventNamesOf,
  Expectation,
  ExpectedEventOf,
  GivenEvent,
  GivenOptions,
  LoadedStory,
  Scenario,
  StateExpectation,
  StateOf,
  Story,
  StoryChecks,
  StoryResult,
} from './story-types.js';

/**
 * Starts a story: `Given(story, events).When(Class, method, ...args)`, then any of `Then`,
 * `AndState`, `AndReturns` and `ThenThrows`, then `await`; or `Given(story, events).WhenLoaded(Class)`
 * for a story with no command (an actor that only applies or reacts to events), then any of `Then`
 * and `AndState`.
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
 * - The actor is disposed once the story has run, whatever the outcome, when its kind has
 *   `Dispose` (a `LiveActor` stops listening); its state stays readable in the result. A failure to
 *   dispose rejects a story that would otherwise pass, and never replaces the story's own failure.
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
  const checkClass = (verb: string, actorClass: unknown) => {
    if (typeof actorClass !== 'function') {
      throw new UsageError(`${story}: ${verb} needs the actor's class, got ${formatShort(actorClass)}`);
    }
  };
  return {
    When(actorClass, method, ...args) {
      checkClass('When', actorClass);
      if (typeof method !== 'string') {
        throw new UsageError(
          `${story}: When needs the name of the method to call, got ${formatShort(method)}`,
        );
      }
      return new StoryChain(story, given, setup, actorClass, method, args);
    },
    WhenLoaded<A extends ActorUnderTest>(actorClass: ActorClass<A>): LoadedStory<A> {
      checkClass('WhenLoaded', actorClass);
      return new StoryChain<A, never>(story, given, setup, actorClass, undefined, []);
    },
  };
}
