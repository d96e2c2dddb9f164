/**
 * Containers whose clock-driven actors do not tick: the containers of `Given` stories. A story
 * states its ticks as given events; a tick fired by the clock in the middle of a story would be
 * one more event for `Then` to meet, depending on how fast the machine runs.
 */
import type { Container } from '../container.js';

const storyContainers = new WeakSet<Container>();

export function markStoryContainer(container: Container): void {
  storyContainers.add(container);
}

export function ticksIn(container: Container): boolean {
  return !storyContainers.has(container);
}
