/**
 * Running a story once: the given events are stored, the actor is built and loaded, the command
 * runs and the actor is flushed, and the events the command fired are read back from the store
 * and judged. The actor is disposed once the story has run, whatever happened (passed, failed its
 * assertions, threw), so a story never leaves a live subscription behind; a failure to dispose
 * is reported only when the story itself did not fail.
 *
 * Every failure before the command, and a command's throw the chain does not expect, rejects with
 * an `Error` naming the story and the step, whose `cause` is what was thrown.
 */
import { UsageError, type Container, type EventStore, type StoredEvent } from '../index.js';
import { ActorCore, listenersSettled } from '../actors/actor-core.js';
import { markStoryContainer } from '../actors/story-clock.js';
import { formatShort } from './format.js';
import type { Setup } from './story-setup.js';
import type { ActorClass, ActorUnderTest, GivenEvent } from './story-types.js';
import { describeError, type Outcome } from './throws.js';

/** What to run. */
export interface StoryPlan<A extends ActorUnderTest> {
  readonly story: string;
  readonly given: readonly GivenEvent[];
  readonly setup: Setup;
  readonly actorClass: ActorClass<A>;
  /** The command; `undefined` for a story with none, which only loads the actor (`WhenLoaded`). */
  readonly method: string | undefined;
  readonly args: readonly unknown[];
  /** The streams whose fired events are read back: the actor's, and every stream `Then` names. */
  readonly streams: readonly string[];
  /** A throw the chain expects (`ThenThrows`) is an outcome; any other rejects the story. */
  readonly expectsThrow: boolean;
}

/** What the story did. */
export interface StoryRecord<A extends ActorUnderTest> {
  readonly actor: A;
  readonly container: Container;
  readonly className: string;
  /** The events fired into the plan's streams during the command, in store order. */
  readonly fired: StoredEvent[];
  readonly outcome: Outcome;
}

/**
 * Runs the story and hands what it did to `judge` (which checks the assertions), then disposes the
 * actor: a story that fails its assertions leaves nothing live behind either.
 */
export async function runStory<A extends ActorUnderTest, T>(
  plan: StoryPlan<A>,
  judge: (record: StoryRecord<A>) => T,
): Promise<T> {
  const { story, setup, actorClass } = plan;
  const className = actorClass.name || 'the actor';
  const container = setup.container();
  // The story's own events are the ticks it gives: a TickActor under test does not tick by itself.
  markStoryContainer(container);
  await storeGivenEvents(plan, container);
  // Fired events are read back from the store, per stream, from the version each had before.
  const versionsBefore = await streamVersions(story, plan.streams, container.store);
  const actor = await failsAs(
    story,
    `new ${className}("${setup.id}", container${setup.constructorArgs.length > 0 ? ', …' : ''}) threw`,
    () => new actorClass(setup.id, container, ...setup.constructorArgs),
  );
  return disposedAfter(story, className, actor, async () => {
    await failsAs(story, `${className}.Load() failed`, () => actor.Load());
    // Listeners hear the given events too: what they react with is part of the story, judged
    // once they are done, before the command and after it.
    await settleListeners(story, className, actor);
    const outcome = await runCommand(plan, actor, className);
    await settleListeners(story, className, actor);
    if (outcome.threw && !plan.expectsThrow) {
      const step = plan.method === undefined ? 'Flush() after Load()' : `${plan.method}()`;
      throw new Error(`${story}\n  ${className}.${step} threw ${describeError(outcome.error)}`, {
        cause: outcome.error,
      });
    }
    const fired = await readFired(story, container.store, versionsBefore);
    return judge({ actor, container, className, fired, outcome });
  });
}

async function settleListeners(story: string, className: string, actor: ActorUnderTest): Promise<void> {
  if (!(actor instanceof ActorCore)) return;
  await failsAs(story, `${className}'s listeners failed`, () => listenersSettled(actor));
}

async function storeGivenEvents(plan: StoryPlan<ActorUnderTest>, container: Container): Promise<void> {
  for (const [index, event] of plan.given.entries()) {
    const stream = event.stream ?? plan.setup.id;
    const step = `given event [${index}] "${event.name}" could not be stored in "${stream}"`;
    await failsAs(plan.story, step, () =>
      container.store.appendToStream(stream, [
        {
          name: event.name,
          data: event.data,
          at: container.clock.now(),
          ...(event.meta ? { meta: event.meta } : {}),
        },
      ]),
    );
  }
}

async function streamVersions(
  story: string,
  streams: readonly string[],
  store: EventStore,
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const stream of streams) {
    versions.set(
      stream,
      await failsAs(story, `reading "${stream}" failed`, () => store.streamVersion(stream)),
    );
  }
  return versions;
}

/**
 * Calls the command and flushes the actor: what it returned, or what it (or the flush) threw. A
 * story with no command only flushes what the listeners fired.
 */
async function runCommand<A extends ActorUnderTest>(
  plan: StoryPlan<A>,
  actor: A,
  className: string,
): Promise<Outcome> {
  if (plan.method === undefined) return flushed(actor, { threw: false, returned: undefined });
  const command = (actor as Record<string, unknown>)[plan.method];
  if (typeof command !== 'function') {
    throw new UsageError(
      `${plan.story}\n  ${className} has no method "${plan.method}" (it is ${formatShort(command)})`,
    );
  }
  let outcome: Outcome;
  try {
    outcome = {
      threw: false,
      returned: await (command as (...args: unknown[]) => unknown).apply(actor, [...plan.args]),
    };
  } catch (error) {
    outcome = { threw: true, error };
  }
  return flushed(actor, outcome);
}

/** The outcome once the actor is flushed: a failure to flush when nothing threw before. */
async function flushed(actor: ActorUnderTest, outcome: Outcome): Promise<Outcome> {
  try {
    await actor.Flush();
  } catch (error) {
    // A command's own error explains more than the failure of what it fired before throwing.
    if (!outcome.threw) return { threw: true, error };
  }
  return outcome;
}

/**
 * Runs `work`, then disposes the actor (when its kind has `Dispose`) whatever `work` did. When
 * `work` failed, that failure is the story's: a failure to dispose as well is not reported over it.
 */
async function disposedAfter<T>(
  story: string,
  className: string,
  actor: ActorUnderTest,
  work: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await dispose(actor).catch(() => undefined);
    throw error;
  }
  await failsAs(story, `${className}.Dispose() failed`, () => dispose(actor));
  return result;
}

async function dispose(actor: ActorUnderTest): Promise<void> {
  const { Dispose } = actor as { Dispose?: unknown };
  if (typeof Dispose === 'function') await (Dispose as () => unknown).call(actor);
}

async function readFired(
  story: string,
  store: EventStore,
  versionsBefore: ReadonlyMap<string, number>,
): Promise<StoredEvent[]> {
  const fired: StoredEvent[] = [];
  for (const [stream, version] of versionsBefore) {
    fired.push(
      ...(await failsAs(story, `reading the events fired into "${stream}" failed`, () =>
        store.readStream(stream, { fromVersion: version + 1 }),
      )),
    );
  }
  return fired.sort((left, right) => left.position - right.position);
}

/** Runs a step of the story's setup; a failure rejects with the story and the step, keeping the cause. */
async function failsAs<T>(story: string, step: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${story}\n  ${step}: ${describeError(error)}`, { cause: error });
  }
}
