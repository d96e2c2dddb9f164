/**
 * The per-class settings of the elected kinds, read from a class's static fields and checked once
 * per class: a mistake is a `UsageError` at construction, naming the field.
 */
import { UsageError } from '../errors.js';
import { resolveLeaseTiming } from '../leadership/lease-timing.js';
import type { MissedTicks } from '../leadership/tick-schedule.js';
import type { ElectedOptions } from './elected-policy.js';

/** A day: a longer resolution is better served by a store-backed schedule than by one actor's ticks. */
const LONGEST_RESOLUTION_MS = 86_400_000;
const LONGEST_REQUEST_TIMEOUT_MS = 600_000;

const checked = new WeakMap<object, ElectedOptions>();

interface ElectedStatics {
  readonly name: string;
  readonly leaseTtlMs?: unknown;
  readonly requestTimeoutMs?: unknown;
  readonly resolution?: unknown;
  readonly missedTicks?: unknown;
}

export function electedOptionsOf(actorClass: ElectedStatics, ticking: boolean): ElectedOptions {
  const known = checked.get(actorClass);
  if (known !== undefined) return known;
  const className = actorClass.name;
  let leaseTtlMs: number;
  try {
    ({ ttlMs: leaseTtlMs } = resolveLeaseTiming(
      actorClass.leaseTtlMs === undefined ? {} : { ttlMs: actorClass.leaseTtlMs as number },
    ));
  } catch (error) {
    throw new UsageError(`${className}.leaseTtlMs: ${(error as Error).message}`);
  }
  const requestTimeoutMs = wholeMs(actorClass, 'requestTimeoutMs', 1, LONGEST_REQUEST_TIMEOUT_MS);
  let options: ElectedOptions = { leaseTtlMs, requestTimeoutMs };
  if (ticking) {
    const resolutionMs = wholeMs(actorClass, 'resolution', 1, LONGEST_RESOLUTION_MS);
    const missedTicks = actorClass.missedTicks;
    if (missedTicks !== 'skip' && missedTicks !== 'catch-up') {
      throw new UsageError(
        `${className}.missedTicks must be 'skip' or 'catch-up', got ${String(missedTicks)}`,
      );
    }
    options = { ...options, ticking: { resolutionMs, missedTicks: missedTicks as MissedTicks } };
  }
  checked.set(actorClass, options);
  return options;
}

function wholeMs(
  actorClass: ElectedStatics,
  field: 'requestTimeoutMs' | 'resolution',
  lowest: number,
  highest: number,
): number {
  const value = actorClass[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest || value > highest) {
    throw new UsageError(
      `${actorClass.name}.${field} must be a whole number of milliseconds from ${lowest} to ${highest}, got ${String(value)}`,
    );
  }
  return value;
}
