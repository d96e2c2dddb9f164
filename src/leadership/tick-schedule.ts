/**
 * When a TickActor's leader fires its next tick, and what the tick says.
 *
 * Ticks keep to a grid on the store's clock: tick n is planned one resolution after tick n−1 was
 * planned (the first one resolution after ticking began), so lateness never adds up from one tick
 * to the next, and tick n is never planned before start + n × resolution: "at least". A tick's
 * `at` is its planned time; it is stored at that time or later, never earlier.
 *
 * After an outage (no node held the actor, or every node was down) more than one slot may have
 * passed. The missed-tick policy says what happens then:
 * - `'skip'` (the default): one tick for the latest slot passed, saying how many slots it stands
 *   for (`missed`), then on with the grid: a job scheduler down for a day fires once, not 86 400
 *   times;
 * - `'catch-up'`: every missed tick, one by one, as fast as they can be stored, then on with the
 *   grid: for a consumer that counts ticks.
 */

export type MissedTicks = 'skip' | 'catch-up';

/** A tick's data: its number, its planned time (ISO-8601, store clock), and how many slots it stands for beyond itself. */
export interface TickData {
  readonly n: number;
  readonly at: string;
  readonly missed?: number;
}

/** The last tick stored, as the schedule needs it. */
export interface LastTick {
  readonly n: number;
  /** Its planned time, milliseconds since the epoch. */
  readonly plannedAt: number;
}

export interface PlannedTick {
  readonly n: number;
  readonly plannedAt: number;
  readonly missed: number;
}

/**
 * The next tick after `last` (or the first, for ticking that begins at `startedAt`), given the
 * store's `now`: its number, its planned time, and the slots it skips over.
 */
export function nextTick(
  last: LastTick | undefined,
  startedAt: number,
  resolutionMs: number,
  now: number,
  missedTicks: MissedTicks,
): PlannedTick {
  const n = (last?.n ?? 0) + 1;
  const plannedAt = (last?.plannedAt ?? startedAt) + resolutionMs;
  if (missedTicks === 'catch-up' || now < plannedAt + resolutionMs) return { n, plannedAt, missed: 0 };
  // Every slot from plannedAt up to the latest one that has passed collapses into one tick.
  const missed = Math.floor((now - plannedAt) / resolutionMs);
  return { n, plannedAt: plannedAt + missed * resolutionMs, missed };
}

/** The tick event's data. */
export function tickData(tick: PlannedTick): TickData {
  const at = new Date(tick.plannedAt).toISOString();
  return tick.missed > 0 ? { n: tick.n, at, missed: tick.missed } : { n: tick.n, at };
}

/** A stored tick's number and planned time, or `undefined` if it is not a tick this schedule wrote. */
export function lastTickOf(data: unknown): LastTick | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const { n, at } = data as Record<string, unknown>;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || typeof at !== 'string') return undefined;
  const plannedAt = Date.parse(at);
  return Number.isFinite(plannedAt) ? { n, plannedAt } : undefined;
}
