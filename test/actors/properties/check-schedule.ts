/**
 * One schedule, start to end: play it, let it settle, check every invariant, and throw one error
 * listing every violation with the story of the run, which fast-check prints with its seed, its
 * path and the scheduler's order of tasks.
 */
import type * as fc from 'fast-check';
import { checkDisposed, checkLiveActors, checkSerialPrefixes, checkStream, freshLoad } from './invariants.js';
import type { Plan } from './schedule.js';
import { ScheduleRun, stateText, type ActorKind } from './schedule-run.js';

/**
 * A schedule whose promises have not all settled after this long is reported as a hang (the
 * actors' own pauses are milliseconds). Not a performance bound: it only turns a hang into a
 * counterexample instead of a test timeout with none.
 */
const HANG_AFTER_MS = 20_000;

export async function checkSchedule(kind: ActorKind, scheduler: fc.Scheduler, plan: Plan): Promise<void> {
  const run = new ScheduleRun(kind, scheduler);
  await untilSettled(run.play(plan), run.trace);
  const violations = [...run.violations];
  const fresh = await freshLoad(run, kind, violations);
  violations.push(...checkStream(run, fresh));
  if (kind === 'live') {
    let mismatches = checkLiveActors(run, fresh);
    // A gap in the notifications is read from the store after the feed's own short wait.
    while (mismatches.length > 0 && (await run.quietPeriod())) mismatches = checkLiveActors(run, fresh);
    violations.push(...mismatches);
  } else {
    violations.push(...checkSerialPrefixes(run, fresh));
    for (const instance of await untilSettled(run.loadHeld(), run.trace)) {
      const { actor } = instance;
      if (
        actor.version !== fresh.version ||
        stateText(actor.state) !== stateText(fresh.state ?? actor.state)
      ) {
        violations.push(
          `${instance.name} after its own Load() has v${actor.version} ${stateText(actor.state)}; a fresh Load() has v${fresh.version}`,
        );
      }
    }
  }
  await untilSettled(run.disposeAll(), run.trace);
  violations.push(...checkDisposed(run));
  if (violations.length > 0) {
    throw new Error(
      `${violations.length} broken promise(s):\n- ${violations.join('\n- ')}\n\nWhat happened:\n${run.trace.join('\n')}`,
    );
  }
}

async function untilSettled<T>(work: Promise<T>, trace: readonly string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `the schedule never settled (a Fire, Flush, Dispose or Load hangs):\n${trace.join('\n')}`,
          ),
        ),
      HANG_AFTER_MS,
    );
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}
