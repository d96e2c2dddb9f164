/**
 * `compare` for more than two sides: the library, its raw baseline and a peer library run the same
 * work, interleaved in slices within every repetition, each side going first in turn, so that a slow
 * stretch of a shared machine (or of a shared database server) hits all of them rather than one.
 *
 * The method is the one of `compare` in measure.ts; only the number of sides differs, and a slice
 * can be kept from becoming too short for many concurrent writers to fill.
 */
import { summarize, type Calibration, type Contender, type PreparedRun, type Stats } from './measure.js';

export interface ManyComparisonPlan {
  /** Units of work per timed run, or a calibration to choose it from the slowest side's warm-up. */
  readonly operations: number | Calibration;
  /** Events written or read per unit of work. */
  readonly eventsPerOperation: number;
  readonly repetitions: number;
  readonly warmups: number;
  /** Into how many slices a run is cut, at most (see `ComparisonPlan.slices`). */
  readonly slices: number;
  /**
   * The fewest units of work in a slice. Each slice ends when its last writer is done, so a slice of
   * 64 appends shared by 64 writers would time one round trip and the stragglers, not a throughput.
   */
  readonly minOperationsPerSlice?: number;
  /**
   * With a calibration: make runs long enough for the fastest side to take at least this long too.
   * When one side is many times slower than the others (a peer whose racing writers retry), sizing
   * by the slowest side alone would leave the fast sides runs of a few milliseconds.
   */
  readonly fastestSideSeconds?: number;
}

export interface ManyComparison {
  readonly operations: number;
  readonly eventsPerOperation: number;
  /** Units of work per second, one entry per contender, in the order given. */
  readonly rates: readonly Stats[];
  /**
   * `pairedRatios[side][repetition]`: the first contender's rate over this side's rate in that
   * repetition (all ones for the first contender itself).
   */
  readonly pairedRatios: readonly (readonly number[])[];
}

function slicesFor(plan: ManyComparisonPlan, operations: number): number {
  const bySize = Math.floor(operations / Math.max(1, plan.minOperationsPerSlice ?? 1));
  return Math.max(1, Math.min(plan.slices, bySize, operations));
}

/** Runs every side over the same `operations`, interleaved by slices; answers their rates. */
async function timeInterleavedMany(
  contenders: readonly Contender[],
  operations: number,
  slices: number,
  firstSide: number,
): Promise<number[]> {
  const prepared: PreparedRun[] = [];
  try {
    for (const contender of contenders) prepared.push(await contender(operations));
    const sides = contenders.length;
    const seconds = new Array<number>(sides).fill(0);
    for (let slice = 0; slice < slices; slice++) {
      const from = Math.floor((slice * operations) / slices);
      const to = Math.floor(((slice + 1) * operations) / slices);
      // Each side goes first in turn, so that none always runs on a cache (or a checkpoint) left by another.
      for (let turn = 0; turn < sides; turn++) {
        const side = (firstSide + slice + turn) % sides;
        const started = process.hrtime.bigint();
        await prepared[side]!.run(from, to);
        seconds[side]! += Number(process.hrtime.bigint() - started) / 1e9;
      }
    }
    for (const run of prepared) await run.verify?.();
    return seconds.map((spent) => operations / spent);
  } finally {
    for (const run of prepared) await run.dispose?.();
  }
}

export async function compareMany(
  contenders: readonly Contender[],
  plan: ManyComparisonPlan,
): Promise<ManyComparison> {
  let operations: number;
  if (typeof plan.operations === 'number') {
    operations = plan.operations;
    for (let index = 0; index < plan.warmups; index++) {
      await timeInterleavedMany(contenders, operations, slicesFor(plan, operations), index);
    }
  } else {
    const calibration = plan.operations;
    const warmupOperations = calibration.warmupOperations;
    let slowest = Infinity;
    let fastest = 0;
    for (let index = 0; index < Math.max(1, plan.warmups); index++) {
      const rates = await timeInterleavedMany(
        contenders,
        warmupOperations,
        slicesFor(plan, warmupOperations),
        index,
      );
      slowest = Math.min(slowest, ...rates);
      fastest = Math.max(fastest, ...rates);
    }
    operations = Math.round(
      Math.min(
        calibration.maxOperations,
        Math.max(
          calibration.minOperations,
          slowest * calibration.targetSeconds,
          fastest * (plan.fastestSideSeconds ?? 0),
        ),
      ),
    );
  }
  const rates: number[][] = contenders.map(() => []);
  const slices = slicesFor(plan, operations);
  for (let repetition = 0; repetition < plan.repetitions; repetition++) {
    const repetitionRates = await timeInterleavedMany(contenders, operations, slices, repetition);
    repetitionRates.forEach((rate, side) => rates[side]!.push(rate));
  }
  return {
    operations,
    eventsPerOperation: plan.eventsPerOperation,
    rates: rates.map((samples) => summarize(samples)),
    pairedRatios: rates.map((samples) => samples.map((rate, repetition) => rates[0]![repetition]! / rate)),
  };
}
