/**
 * One writer process of the `sqlite-contention` benchmark: `node --import tsx contention-worker.ts
 * <config>`. It opens its own store on the shared SQLite file, appends once (a warm-up), says
 * `ready`, and on `go` appends one event at a time to streams of its own (`<name>-0` … `<name>-9`,
 * each with the expected version it last stored) for `durationMs`, yielding to the event loop between appends as a
 * process with other work would. It then says `done` with its own figures:
 *
 * - how long each append took (`appendToStream` called → resolved), as percentiles;
 * - its event-loop lag over the run (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution): how late
 *   its timers and sockets would have been served;
 * - how many appends it stored, and how many failed (with the first failure's message).
 *
 * When the parent closes stdin, the worker closes its store and exits.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { sqliteStore, type SynchronousMode } from '../../src/sqlite.js';

export interface ContentionWorkerConfig {
  readonly file: string;
  readonly name: string;
  readonly durationMs: number;
  readonly synchronous: SynchronousMode;
}

const STREAMS = 10;

const config = JSON.parse(process.argv[2]!) as ContentionWorkerConfig;
const store = sqliteStore({ file: config.file, synchronous: config.synchronous });

function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

function micro(millis: number): number {
  return Math.round(millis * 1000) / 1000;
}

function percentilesOf(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = samples.sort((a, b) => a - b);
  const at = (q: number) => micro(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { p50: at(0.5), p99: at(0.99), max: micro(sorted[sorted.length - 1] ?? NaN) };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function run(): Promise<void> {
  const versions = new Array<number>(STREAMS).fill(0);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  // The monitor counts a stall only once its timer runs: let it run once before the first append.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  const deadline = started + config.durationMs;
  for (let n = 0; performance.now() < deadline; n++) {
    const index = n % STREAMS;
    const before = performance.now();
    try {
      await store.appendToStream(`${config.name}-${index}`, [{ name: 'counted', data: { n } }], {
        expectedVersion: versions[index]!,
      });
      versions[index]!++;
      latencies.push(performance.now() - before);
    } catch (error) {
      failures++;
      firstFailure ??= error instanceof Error ? error.message : String(error);
    }
    await yieldToEventLoop();
  }
  const elapsedMs = performance.now() - started;
  lag.disable();
  const nanos = (value: number) => micro(value / 1e6);
  report('done', {
    appends: latencies.length,
    failures,
    firstFailure,
    elapsedMs: micro(elapsedMs),
    append: percentilesOf(latencies),
    lag: { p50: nanos(lag.percentile(50)), p99: nanos(lag.percentile(99)), max: nanos(lag.max) },
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as { type: string };
  if (command.type === 'go') {
    run().catch((error: unknown) =>
      report('failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  }
});
lines.on('close', () => {
  void store
    .close()
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
// One append before the run: the first write of a process to a file is not what is measured.
store
  .appendToStream(`${config.name}-warm-up`, [{ name: 'warmed' }])
  .then(() => report('ready'))
  .catch((error: unknown) =>
    report('failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
