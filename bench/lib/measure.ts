/**
 * Timing for benchmarks that compare the library with a raw baseline doing the same work.
 *
 * The machines these run on are shared and noisy, so every figure is the median of several
 * repetitions, with the spread kept alongside it. The two sides of a comparison run interleaved,
 * in slices, alternating which goes first, so that a burst of noise hits both rather than one.
 */

/** A summary of repeated rate measurements (per second). */
export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples };
}

/**
 * One prepared run of a number of units of work. `run(from, to)` does units `from` to `to - 1` and
 * is timed; preparing, `verify` and `dispose` are not.
 */
export interface PreparedRun {
  run(from: number, to: number): Promise<void> | void;
  /** Throws if the run did not do the work it was given, so that no figure comes from other work. */
  verify?(): Promise<void> | void;
  dispose?(): Promise<void> | void;
}

/** One side of a comparison: prepares a run of `operations` units of work. */
export type Contender = (operations: number) => Promise<PreparedRun> | PreparedRun;

export interface ComparisonPlan {
  /** Units of work per timed run, or a calibration to choose it from a short first run. */
  readonly operations: number | Calibration;
  /** Events written or read per unit of work. */
  readonly eventsPerOperation: number;
  readonly repetitions: number;
  readonly warmups: number;
  /**
   * Into how many slices a run is cut, the two sides taking turns slice by slice. A disk whose
   * `fsync` takes 0.3 ms one second and 3 ms the next would otherwise decide the ratio by which
   * side happened to run in the slow second.
   */
  readonly slices: number;
}

/**
 * Sizes a run from the slower side's rate in a short warm-up, so that slow cases (an `fsync` per
 * commit) still finish in time and fast ones run long enough to be measured.
 */
export interface Calibration {
  readonly warmupOperations: number;
  /** How long a timed run of the slower side should take. */
  readonly targetSeconds: number;
  readonly minOperations: number;
  readonly maxOperations: number;
}

export interface Comparison {
  readonly operations: number;
  readonly eventsPerOperation: number;
  /** Units of work per second. */
  readonly library: Stats;
  readonly raw: Stats;
  /** The library's rate over the raw one within each repetition. */
  readonly pairedRatios: readonly number[];
}

/** Runs both sides over the same `operations`, interleaved by slices; answers their rates. */
async function timeInterleaved(
  contenders: readonly [Contender, Contender],
  operations: number,
  slices: number,
  libraryFirst: boolean,
): Promise<[number, number]> {
  const prepared: PreparedRun[] = [];
  try {
    for (const contender of contenders) prepared.push(await contender(operations));
    const seconds = [0, 0];
    const count = Math.max(1, Math.min(slices, operations));
    for (let slice = 0; slice < count; slice++) {
      const from = Math.floor((slice * operations) / count);
      const to = Math.floor(((slice + 1) * operations) / count);
      // Alternating who goes first keeps either side from always running on a cache the other warmed.
      const order = (slice % 2 === 0) === libraryFirst ? [0, 1] : [1, 0];
      for (const side of order) {
        const started = process.hrtime.bigint();
        await prepared[side]!.run(from, to);
        seconds[side]! += Number(process.hrtime.bigint() - started) / 1e9;
      }
    }
    for (const run of prepared) await run.verify?.();
    return [operations / seconds[0]!, operations / seconds[1]!];
  } finally {
    for (const run of prepared) await run.dispose?.();
  }
}

export async function compare(library: Contender, raw: Contender, plan: ComparisonPlan): Promise<Comparison> {
  const contenders = [library, raw] as const;
  let operations: number;
  if (typeof plan.operations === 'number') {
    operations = plan.operations;
    for (let index = 0; index < plan.warmups; index++) {
      await timeInterleaved(contenders, operations, plan.slices, index % 2 === 0);
    }
  } else {
    const calibration = plan.operations;
    let slowest = Infinity;
    for (let index = 0; index < Math.max(1, plan.warmups); index++) {
      const rates = await timeInterleaved(
        contenders,
        calibration.warmupOperations,
        plan.slices,
        index % 2 === 0,
      );
      slowest = Math.min(slowest, ...rates);
    }
    operations = Math.round(
      Math.min(
        calibration.maxOperations,
        Math.max(calibration.minOperations, slowest * calibration.targetSeconds),
      ),
    );
  }
  const libraryRates: number[] = [];
  const rawRates: number[] = [];
  for (let repetition = 0; repetition < plan.repetitions; repetition++) {
    const [libraryRate, rawRate] = await timeInterleaved(
      contenders,
      operations,
      plan.slices,
      repetition % 2 === 0,
    );
    libraryRates.push(libraryRate);
    rawRates.push(rawRate);
  }
  return {
    operations,
    eventsPerOperation: plan.eventsPerOperation,
    library: summarize(libraryRates),
    raw: summarize(rawRates),
    pairedRatios: libraryRates.map((rate, index) => rate / rawRates[index]!),
  };
}

/** Scales a rate of units of work to a rate of events. */
export function scaleStats(stats: Stats, factor: number): Stats {
  return summarize(stats.samples.map((sample) => sample * factor));
}
