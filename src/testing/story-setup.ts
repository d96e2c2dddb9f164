/**
 * Where a story starts: its options resolved once, when `Given` is called (so a bad option fails
 * there, not when the story is awaited), into the actor's id, a container maker and the extra
 * constructor arguments. Without a `container` option, every run gets a fresh in-memory store
 * whose clock stands still, so a story's events and times are the same on every run.
 */
import { UsageError, createContainer, memoryStore, type Container } from '../index.js';
import { formatShort } from './format.js';
import type { GivenOptions } from './story-types.js';

/** The actor id a story uses unless `options.id` names another. */
export const DEFAULT_ACTOR_ID = 'actor-under-test';
/** The time a story's clock stands at unless `options.now` names another. */
export const DEFAULT_NOW = '2024-01-01T00:00:00.000Z';

export interface Setup {
  readonly id: string;
  readonly container: () => Container;
  readonly constructorArgs: readonly unknown[];
}

export function resolveOptions(story: string, options: GivenOptions): Setup {
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
