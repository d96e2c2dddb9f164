/**
 * What the Redis benchmarks report: each rate case has two sides, the engine and raw `ioredis`
 * commands doing the same work (rows of the shared table, `report.ts`); notification latency is a
 * distribution and has the latency table of the PostgreSQL benchmarks. The OneActor failover on
 * Redis prints as the other successions do (`elected-report.ts`).
 */
import type { ManyComparison } from './compare-many.js';
import type { LatencyCase } from './report-postgres.js';
import { formatLatencyTable } from './report-postgres.js';
import {
  caseResult,
  formatTable,
  type BenchmarkResult,
  type CaseResult,
  type Target,
  type Unit,
} from './report.js';

export interface RedisBenchmarkResult extends BenchmarkResult {
  readonly latencies?: readonly LatencyCase[];
}

/** A case from a comparison of `[engine, raw]` made by `compareMany`. */
export function twoSidedCase(
  name: string,
  unit: Unit,
  comparison: ManyComparison,
  repetitions: number,
  target?: Target,
): CaseResult {
  const [library, raw] = comparison.rates;
  return caseResult(
    name,
    unit,
    {
      operations: comparison.operations,
      eventsPerOperation: comparison.eventsPerOperation,
      library: library!,
      raw: raw!,
      pairedRatios: comparison.pairedRatios[1]!,
    },
    repetitions,
    target,
  );
}

/** The rates against raw ioredis, then the notification latencies. */
export function formatRedisTables(results: readonly BenchmarkResult[]): string {
  const tables: string[] = [];
  const withRates = results.filter((result) => result.cases.length > 0);
  if (withRates.length > 0) tables.push(formatTable(withRates));
  const latencies = formatLatencyTable(results);
  if (latencies.length > 0) tables.push(latencies);
  return tables.join('\n\n');
}
