/**
 * Appends made by several writers at once, as many actors of one process would make them: a run's
 * appends are dealt to `writers` async callers, each making its own appends one after the other.
 *
 * On distinct streams, every stream belongs to one writer, so that the expected version each
 * append carries is the one its writer last saw and no append conflicts. On one stream, every
 * writer appends to the same stream at once.
 */
import { DISTINCT_STREAMS, planAppends, type PlannedAppend, type Spread } from './workload.js';

/**
 * How many streams `distinct streams` cycles through with `writers` writers: at least
 * `DISTINCT_STREAMS`, and a multiple of `writers`, so that append `index` and every later append to
 * its stream fall to the same writer (`index % writers`).
 */
export function distinctStreamsFor(writers: number): number {
  return Math.ceil(DISTINCT_STREAMS / writers) * writers;
}

/**
 * The appends of a run, in the order each writer makes its own. `expectedVersion` is the stream's
 * version before the append, in that order: on one stream, where writers race, it is only the
 * version the append's events would take if appends landed in index order.
 */
export function planWriterAppends(
  appends: number,
  eventsPerAppend: number,
  spread: Spread,
  writers: number,
): PlannedAppend[] {
  return planAppends(appends, eventsPerAppend, spread, distinctStreamsFor(writers));
}

/**
 * Does appends `from` to `to - 1` with `writers` concurrent callers: writer `w` makes the appends
 * whose index is `w` modulo `writers`, in index order, each awaited before the next.
 */
export async function runWriters(
  from: number,
  to: number,
  writers: number,
  append: (index: number) => Promise<unknown>,
): Promise<void> {
  const callers: Promise<void>[] = [];
  for (let writer = 0; writer < writers; writer++) {
    // The first index of this slice that falls to this writer.
    const first = from + ((((writer - from) % writers) + writers) % writers);
    callers.push(
      (async () => {
        for (let index = first; index < to; index += writers) await append(index);
      })(),
    );
  }
  await Promise.all(callers);
}
