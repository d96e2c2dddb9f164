/**
 * The public face of `omniscient-actors/testing`: `Given`, the story DSL that puts events in, runs one
 * command and asserts the events out and the state, and the `AssertionError` a failed story throws.
 */
export {
  DEFAULT_ACTOR_ID,
  DEFAULT_NOW,
  Given,
  type ActorClass,
  type ActorUnderTest,
  type CheckedEvent,
  type CheckedEvents,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type EventDataOf,
  type EventNamesOf,
  type Expectation,
  type ExpectedEventOf,
  type GivenEvent,
  type GivenOptions,
  type LoadedStory,
  type Scenario,
  type StateExpectation,
  type StateOf,
  type Story,
  type StoryChecks,
  type StoryResult,
} from './testing/given.js';
export { AssertionError, type AssertionErrorOptions } from './testing/assertion-error.js';
export type { ExpectedEvent } from './testing/events.js';
export type { Mismatch } from './testing/match.js';
export { PLACEHOLDERS, type Placeholder } from './testing/placeholders.js';
export type { ThrownExpectation } from './testing/throws.js';
