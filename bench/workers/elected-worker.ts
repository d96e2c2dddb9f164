/**
 * One process of the OneActor and TickActor benchmarks (`bench/elected-actors.ts`):
 * `node --import tsx elected-worker.ts <config>`. It opens its own connection to the shared store
 * and loads one actor of the config's kind on the config's id, with the kind's default settings:
 *
 * - `one`: a `OneActor` (request timeout 1000 ms, lease TTL 1500 ms);
 * - `live`: a `LiveActor`, the baseline for the request round trip;
 * - `tick`: a `TickActor` with the config's resolution, which campaigns for as long as it is loaded.
 *
 * Every event the actor applies carries `sentAt`, the firing process's `machineMillis()` just
 * before its `Fire`: the handler notes how long after that it ran here, by ping number, so that the
 * parent can tell when each process applied each ping on the machine's one monotonic clock.
 *
 * Commands (JSON lines on stdin): `clock` (answered at once); `status` (whether this instance
 * leads); `fire-every` (fires a `beat` every `intervalMs` while it does not lead, without awaiting
 * it: a follower that always has a request in flight) and `stop-firing` (stops, then says `quiet`
 * once every beat it fired has settled); `ping` (fires `warmup` then `count` pings, each awaited
 * before the next, and says `pinged` with how long each `Fire` took to resolve); `applied` (waits
 * up to `waitMs` until every ping was applied here, then says when each was); `dispose` (stamps
 * the call, awaits `Dispose()`, says `disposed`). When stdin closes, the worker disposes its actor,
 * closes its store and exits.
 *
 * Messages are JSON lines on stdout; a failure says `failed` and exits with an error code.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createContainer,
  LiveActor,
  OneActor,
  TickActor,
  type Logger,
  type TickData,
} from '../../src/index.js';
import { machineMillis } from '../lib/live-actors.js';
import { openStore, type StoreDescription } from '../lib/live-stores.js';

export interface ElectedWorkerConfig {
  readonly store: StoreDescription;
  /** Who fires: one name per process, so that a respawned worker is another firer. */
  readonly node: string;
  readonly kind: 'one' | 'live' | 'tick';
  readonly id: string;
  /** A TickActor's resolution, in milliseconds. */
  readonly resolutionMs?: number;
  /** How many measured pings this process may see: the size of its table of apply times. */
  readonly pings?: number;
}

/** A measured ping; negative `n` for warm-up pings, which are applied but not noted. */
export interface PingData {
  readonly node: string;
  readonly n: number;
  readonly sentAt: number;
}

/** A follower's background request, to keep one in flight when its leader dies or hands over. */
export interface BeatData {
  readonly node: string;
  readonly n: number;
}

type BenchEvents = { pinged: PingData; beat: BeatData };
type BenchState = { pings: number; beats: number };

/** Apply times by ping number, shared by the three kinds' handlers. */
class AppliedTable {
  readonly after: Float64Array;
  duplicates = 0;
  count = 0;

  constructor(size: number) {
    this.after = new Float64Array(size).fill(NaN);
  }

  note(data: PingData): void {
    const now = machineMillis();
    if (data.n < 0 || data.n >= this.after.length) return;
    if (Number.isNaN(this.after[data.n]!)) {
      this.after[data.n] = now - data.sentAt;
      this.count++;
    } else {
      this.duplicates++;
    }
  }
}

let applied = new AppliedTable(0);

class BenchOne extends OneActor<BenchState, BenchEvents> {
  protected override _state: BenchState = { pings: 0, beats: 0 };
  pinged(data: PingData) {
    this._state.pings++;
    applied.note(data);
  }
  beat() {
    this._state.beats++;
  }
}

class BenchLive extends LiveActor<BenchState, BenchEvents> {
  protected override _state: BenchState = { pings: 0, beats: 0 };
  pinged(data: PingData) {
    this._state.pings++;
    applied.note(data);
  }
  beat() {
    this._state.beats++;
  }
}

class BenchTick extends TickActor<{ ticks: number; last: number }> {
  protected override _state = { ticks: 0, last: 0 };
  tick(data: TickData) {
    this._state.ticks++;
    this._state.last = data.n;
  }
}

type BenchActor = BenchOne | BenchLive | BenchTick;

interface Command {
  readonly type: string;
  readonly [field: string]: unknown;
}

function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

/** Rounds milliseconds to the microsecond, to keep the messages short. */
function micro(millis: number): number | null {
  return Number.isNaN(millis) ? null : Math.round(millis * 1000) / 1000;
}

/** A SQLite append completes within the call: let timers and I/O (the live feed) in between. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts the library's warnings by message (a leader stepping down says one) and passes them on. */
function countingLogger(counts: Map<string, number>): Logger {
  const warn = (message: string, context?: Record<string, unknown>) => {
    counts.set(message, (counts.get(message) ?? 0) + 1);
    process.stderr.write(
      `[omniscient] ${message} ${context === undefined ? '' : String(context['error'])}\n`,
    );
  };
  return { debug: () => undefined, info: () => undefined, warn, error: warn };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] as string) as ElectedWorkerConfig;
  const { node } = config;
  applied = new AppliedTable(config.pings ?? 0);
  const store = await openStore(config.store);
  const warnings = new Map<string, number>();
  const errors: string[] = [];
  const container = createContainer({
    store,
    logger: countingLogger(warnings),
    onError: (error, context) => errors.push(`${context.operation}: ${String(error)}`),
  });
  let actor: BenchActor;
  if (config.kind === 'tick') {
    BenchTick.resolution = config.resolutionMs ?? BenchTick.resolution;
    actor = new BenchTick(config.id, container);
  } else if (config.kind === 'one') {
    actor = new BenchOne(config.id, container);
  } else {
    actor = new BenchLive(config.id, container);
  }
  await actor.Load();
  const isLeader = () => (actor instanceof BenchLive ? false : actor.isLeader);
  const firing = actor as BenchOne | BenchLive;

  // The background beats of `fire-every`: fired, not awaited; each one's outcome is counted.
  let beats = 0;
  let beatTimer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const beatFailures: string[] = [];
  const fireBeat = () => {
    if (isLeader()) return;
    const promise = firing.Fire('beat', { node, n: beats++ }).catch((error: unknown) => {
      beatFailures.push(String(error));
    });
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  };

  const ping = async (count: number, warmup: number) => {
    const resolvedAfter = new Float64Array(count);
    const failures: string[] = [];
    const started = machineMillis();
    for (let n = -warmup; n < count; n++) {
      const sentAt = machineMillis();
      try {
        await firing.Fire('pinged', { node, n, sentAt });
      } catch (error) {
        failures.push(String(error));
      }
      if (n >= 0) resolvedAfter[n] = machineMillis() - sentAt;
      await yieldToEventLoop();
    }
    report('pinged', {
      resolvedAfter: Array.from(resolvedAfter, micro),
      seconds: (machineMillis() - started) / 1000,
      failures,
      errors,
    });
  };

  const waitApplied = async (waitMs: number) => {
    const deadline = machineMillis() + waitMs;
    while (applied.count < applied.after.length && machineMillis() < deadline) await sleep(1);
    report('applied', {
      appliedAfter: Array.from(applied.after, micro),
      duplicates: applied.duplicates,
      errors,
    });
  };

  const dispose = async () => {
    clearInterval(beatTimer);
    const disposingAt = machineMillis();
    await actor.Dispose();
    report('disposed', { disposingAt, disposedAt: machineMillis() });
  };

  const handle = (command: Command): Promise<void> | void => {
    switch (command.type) {
      case 'clock':
        return report('clock', { at: machineMillis() });
      case 'status':
        return report('status', { leading: isLeader(), version: actor.version });
      case 'fire-every':
        clearInterval(beatTimer);
        beatTimer = setInterval(fireBeat, command['intervalMs'] as number);
        return;
      case 'stop-firing':
        clearInterval(beatTimer);
        return Promise.all(inFlight).then(() =>
          report('quiet', {
            beats,
            beatFailures: beatFailures.slice(0, 5),
            beatFailureCount: beatFailures.length,
            warnings: Object.fromEntries(warnings),
            errors,
          }),
        );
      case 'ping':
        return ping(command['count'] as number, command['warmup'] as number);
      case 'applied':
        return waitApplied(command['waitMs'] as number);
      case 'dispose':
        return dispose();
      default:
        throw new Error(`unknown command ${command.type}`);
    }
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    Promise.resolve()
      .then(() => handle(JSON.parse(line) as Command))
      .catch(fail);
  });
  lines.on('close', () => {
    // The parent is done with this worker (or gone): let go of the actor and the store, and exit.
    clearInterval(beatTimer);
    setTimeout(() => process.exit(0), 3_000).unref();
    void actor
      .Dispose()
      .catch(() => undefined)
      .then(() => store.close())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  report('ready', { leading: isLeader() });
}

function fail(error: unknown): void {
  process.stdout.write(
    `${JSON.stringify({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })}\n`,
    () => process.exit(1),
  );
}

main().catch(fail);
