/**
 * One worker process of the LiveActor benchmarks: `node --import tsx live-worker.ts <config>`.
 * It opens its own connection to the shared store the config describes and plays one role:
 *
 * - `listen`: loads a `Probe` on `stream`, says `ready`, and notes when each ping's handler runs.
 *   On `finish` it waits (up to `waitMs`) until it has heard every ping, then says `heard`.
 *   Before `finish` it may be asked to stay `idle` for a while and say how much CPU that took.
 * - `fire`: loads a `Probe` on the same stream, says `ready`, and on `go` fires `warmup` pings
 *   then `count` pings, each awaited before the next, and says `fired` with how long each `Fire`
 *   took to be stored.
 * - `raw-listen` and `raw-fire`: the same exchange with no library at all, on PostgreSQL: a plain
 *   `LISTEN`, and an INSERT that calls `pg_notify` (the least the server itself takes).
 * - `conflict`: says `ready`; then, for each `round` command, loads a `ConflictTally` on the
 *   round's stream, says `prepared`, and on `go` adds `perProcess` ids as fast as it can (each
 *   awaited before the next), waits until its actor has every event of every process through the
 *   live feed, and says `round-done` with its times, how long each `Fire` took to be stored, and
 *   what its store saw.
 * - `memory`: loads `count` plain `Actor`s, then `count` `LiveActor`s, one per stream
 *   `<prefix><n>`, and says `loaded` with the heap each kind took (run with `--expose-gc`), then
 *   holds its live actors until the parent closes stdin.
 *
 * Every role answers `clock` at once with its `machineMillis()`. Messages are JSON lines on
 * stdout; a failure says `failed` and exits with an error code. When the parent closes stdin, the
 * worker closes its store and exits.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContainer } from '../../src/index.js';
import { LiveFeed } from '../../src/live/live-feed.js';
import {
  ConflictTally,
  countingStore,
  LiveAccount,
  machineMillis,
  PlainAccount,
  Probe,
  type StoreCounts,
} from '../lib/live-actors.js';
import { openStore, type StoreDescription } from '../lib/live-stores.js';
import { RAW_TABLE } from '../lib/raw-postgres.js';
import { depositEvents } from '../lib/workload.js';

export type LiveWorkerConfig = { readonly store: StoreDescription } & (
  | { readonly role: 'listen'; readonly stream: string; readonly count: number }
  | { readonly role: 'fire'; readonly stream: string; readonly count: number; readonly warmup: number }
  | { readonly role: 'raw-listen'; readonly channel: string; readonly count: number }
  | {
      readonly role: 'raw-fire';
      readonly channel: string;
      readonly stream: string;
      readonly count: number;
      readonly warmup: number;
    }
  | { readonly role: 'conflict'; readonly label: string; readonly perProcess: number; readonly total: number }
  | {
      readonly role: 'memory';
      readonly prefix: string;
      readonly count: number;
      readonly eventsPerStream: number;
    }
);

interface Command {
  readonly type: string;
  readonly [field: string]: unknown;
}

const commands: Command[] = [];
const waiting: Array<(command: Command) => void> = [];
let cleanUp: () => Promise<void> = async () => undefined;

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as Command;
  // The clock is answered at once, whatever the role is busy with.
  if (command.type === 'clock') return report('clock', { at: machineMillis() });
  const waiter = waiting.shift();
  if (waiter === undefined) commands.push(command);
  else waiter(command);
});
lines.on('close', () => {
  // The parent is done with this worker (or gone): let go of the store and exit.
  const deadline = setTimeout(() => process.exit(0), 3_000);
  deadline.unref();
  void cleanUp()
    .catch(() => undefined)
    .finally(() => process.exit(0));
});

function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

async function expectCommand(type: string): Promise<Command> {
  const command = commands.shift() ?? (await new Promise<Command>((resolve) => waiting.push(resolve)));
  if (command.type !== type) throw new Error(`expected the command "${type}", got "${command.type}"`);
  return command;
}

/** Resolves once `condition` holds, checking every millisecond; rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(1);
  }
}

/** A SQLite append completes within the call: let timers and I/O (the live feed) in between. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Rounds milliseconds to the microsecond, to keep the messages short. */
function micro(millis: number): number | null {
  return Number.isNaN(millis) ? null : Math.round(millis * 1000) / 1000;
}

function collectedHeap(): { heapUsed: number; rss: number } {
  if (globalThis.gc === undefined) throw new Error('run the memory worker with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

async function openContainer(description: StoreDescription) {
  const opened = await openStore(description);
  const { store, counts } = countingStore(opened);
  const errors: string[] = [];
  const container = createContainer({
    store,
    onError: (error, context) => errors.push(`${context.operation}: ${String(error)}`),
  });
  cleanUp = () => opened.close();
  return { store, counts, errors, container };
}

/**
 * Answers `idle` commands (the CPU this process spends over `ms` doing nothing but listen, as
 * milliseconds of CPU per second) until the `finish` command, which it returns.
 */
async function idleUntilFinish(): Promise<Command> {
  for (;;) {
    const command = commands.shift() ?? (await new Promise<Command>((resolve) => waiting.push(resolve)));
    if (command.type !== 'idle') return command;
    const { ms } = command as unknown as { ms: number };
    const before = process.cpuUsage();
    await sleep(ms);
    const used = process.cpuUsage(before);
    report('idled', { cpuMsPerSecond: (used.user + used.system) / 1000 / (ms / 1000) });
  }
}

async function listen(config: Extract<LiveWorkerConfig, { role: 'listen' }>): Promise<void> {
  const { container, errors } = await openContainer(config.store);
  const probe = new Probe(config.stream, container);
  probe.heardAfter = new Float64Array(config.count).fill(NaN);
  await probe.Load();
  report('ready');
  const finish = await idleUntilFinish();
  if (finish.type !== 'finish') throw new Error(`expected the command "finish", got "${finish.type}"`);
  const { waitMs } = finish as unknown as { waitMs: number };
  await until(
    () => probe.heard === config.count,
    waitMs,
    () => `pings (heard ${probe.heard} of ${config.count})`,
  ).catch(() => undefined);
  report('heard', {
    heardAfter: Array.from(probe.heardAfter, micro),
    duplicates: probe.duplicates,
    pings: probe.state.pings,
    errors,
  });
}

/** A PostgreSQL connection (or pool) working in the store's schema, for the raw baseline. */
function rawPostgres(store: StoreDescription) {
  if (store.engine !== 'postgres') throw new Error('the raw baseline runs on PostgreSQL only');
  return { connectionString: store.connectionString, options: `-c search_path=${store.schema}` };
}

/** The raw baseline's listener: a plain LISTEN, noting when each `<n>:<sentAt>` payload arrives. */
async function rawListen(config: Extract<LiveWorkerConfig, { role: 'raw-listen' }>): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client(rawPostgres(config.store));
  await client.connect();
  cleanUp = () => client.end();
  const heardAfter = new Float64Array(config.count).fill(NaN);
  let heard = 0;
  let duplicates = 0;
  client.on('notification', (message) => {
    const now = machineMillis();
    const [n, sentAt] = (message.payload ?? '').split(':').map(Number) as [number, number];
    if (!(n >= 0 && n < config.count)) return;
    if (Number.isNaN(heardAfter[n]!)) {
      heardAfter[n] = now - sentAt;
      heard++;
    } else duplicates++;
  });
  await client.query(`LISTEN ${config.channel}`);
  report('ready');
  const finish = await idleUntilFinish();
  const { waitMs } = finish as unknown as { waitMs: number };
  await until(
    () => heard === config.count,
    waitMs,
    () => `pings (heard ${heard} of ${config.count})`,
  ).catch(() => undefined);
  report('heard', { heardAfter: Array.from(heardAfter, micro), duplicates, errors: [] });
}

/**
 * The raw baseline's firer: one autocommitted INSERT of an event row that calls `pg_notify` in the
 * same statement (as `postgres-notify`'s raw side does), each awaited before the next.
 */
async function rawFire(config: Extract<LiveWorkerConfig, { role: 'raw-fire' }>): Promise<void> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ ...rawPostgres(config.store), max: 4 });
  cleanUp = () => pool.end();
  const events = depositEvents(config.warmup + config.count);
  await pool.query('SELECT 1');
  report('ready');
  await expectCommand('go');
  const storedAfter = new Float64Array(config.count);
  let started = 0;
  for (let n = -config.warmup; n < config.count; n++) {
    if (n === 0) started = machineMillis();
    const event = events[n + config.warmup]!;
    const before = machineMillis();
    await pool.query({
      name: 'raw-insert-notify',
      text: `WITH inserted AS (
               INSERT INTO ${RAW_TABLE} (id, stream, version, name, data, meta, at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING position
             )
             SELECT pg_notify($8, $9) FROM inserted`,
      values: [
        event.id,
        config.stream,
        n + config.warmup + 1,
        event.name,
        JSON.stringify(event.data),
        JSON.stringify(event.meta),
        event.at,
        config.channel,
        `${n}:${before}`,
      ],
    });
    if (n >= 0) storedAfter[n] = machineMillis() - before;
    await yieldToEventLoop();
  }
  const seconds = (machineMillis() - started) / 1000;
  report('fired', { storedAfter: Array.from(storedAfter, micro), seconds, errors: [] });
}

async function fire(config: Extract<LiveWorkerConfig, { role: 'fire' }>): Promise<void> {
  const { container, errors } = await openContainer(config.store);
  const probe = await new Probe(config.stream, container).Load();
  report('ready');
  await expectCommand('go');
  const storedAfter = new Float64Array(config.count);
  let started = 0;
  for (let n = -config.warmup; n < config.count; n++) {
    if (n === 0) started = machineMillis();
    const before = machineMillis();
    await probe.Ping(n);
    if (n >= 0) storedAfter[n] = machineMillis() - before;
    await yieldToEventLoop();
  }
  const seconds = (machineMillis() - started) / 1000;
  report('fired', { storedAfter: Array.from(storedAfter, micro), seconds, errors });
}

async function conflict(config: Extract<LiveWorkerConfig, { role: 'conflict' }>): Promise<void> {
  const { container, counts, errors } = await openContainer(config.store);
  report('ready');
  for (;;) {
    const { stream, round } = (await expectCommand('round')) as unknown as { stream: string; round: number };
    const tally = await new ConflictTally(stream, container).Load();
    const before = snapshot(counts);
    report('prepared');
    await expectCommand('go');
    const started = machineMillis();
    const failures: string[] = [];
    const storedAfter: number[] = [];
    for (let index = 0; index < config.perProcess; index++) {
      const before = machineMillis();
      try {
        await tally.Add(`${config.label}-${round}-${index}`);
        storedAfter.push(micro(machineMillis() - before)!);
      } catch (error) {
        failures.push(String(error));
      }
      await yieldToEventLoop();
    }
    const stored = machineMillis();
    await until(
      () => tally.version === config.total && tally.confirmedVersion === config.total,
      60_000,
      () => `version ${config.total} (at ${tally.version}, confirmed ${tally.confirmedVersion})`,
    );
    const quiet = machineMillis();
    const conflictsPerEvent = [...counts.conflictsByEvent.values()];
    report('round-done', {
      started,
      stored,
      quiet,
      appends: counts.appends - before.appends,
      conflicts: counts.conflicts - before.conflicts,
      conflictedEvents: conflictsPerEvent.length,
      maxConflictsPerEvent: Math.max(0, ...conflictsPerEvent),
      storedAfter,
      failures,
      errors: errors.splice(0),
      version: tally.version,
      state: tally.state,
    });
    counts.conflictsByEvent.clear();
    await tally.Dispose();
  }
}

function snapshot(counts: StoreCounts): { appends: number; conflicts: number } {
  return { appends: counts.appends, conflicts: counts.conflicts };
}

/** Loads `count` actors made by `create`, one per stream, a few hundred at a time. */
async function loadMany<T extends PlainAccount | LiveAccount>(
  create: (stream: string) => T,
  prefix: string,
  count: number,
): Promise<T[]> {
  const actors: T[] = [];
  const atOnce = 250;
  for (let first = 0; first < count; first += atOnce) {
    const group = Array.from({ length: Math.min(atOnce, count - first) }, (_, offset) =>
      create(`${prefix}${first + offset}`),
    );
    await Promise.all(group.map((actor) => actor.Load()));
    actors.push(...group);
  }
  return actors;
}

async function memory(config: Extract<LiveWorkerConfig, { role: 'memory' }>): Promise<void> {
  const { container, counts, errors, store } = await openContainer(config.store);
  const check = (actors: readonly (PlainAccount | LiveAccount)[], kind: string) => {
    const wrong = actors.find((actor) => actor.version !== config.eventsPerStream);
    if (wrong !== undefined) {
      throw new Error(`${kind} ${wrong.id} loaded version ${wrong.version}, not ${config.eventsPerStream}`);
    }
  };
  // Warms the code and the connection, so that neither is counted as the actors' memory.
  await loadMany((stream) => new PlainAccount(stream, container), config.prefix, 100);

  const beforePlain = collectedHeap();
  let plain: PlainAccount[] | undefined = await loadMany(
    (stream) => new PlainAccount(stream, container),
    config.prefix,
    config.count,
  );
  check(plain, 'PlainAccount');
  const afterPlain = collectedHeap();
  plain = undefined;

  const beforeLive = collectedHeap();
  const live = await loadMany((stream) => new LiveAccount(stream, container), config.prefix, config.count);
  check(live, 'LiveAccount');
  // A watch reads what was stored while it joined; let those reads finish before measuring.
  await sleep(200);
  const afterLive = collectedHeap();
  report('loaded', {
    count: config.count,
    plainHeapBytesPerActor: (afterPlain.heapUsed - beforePlain.heapUsed) / config.count,
    liveHeapBytesPerActor: (afterLive.heapUsed - beforeLive.heapUsed) / config.count,
    liveRssBytesPerActor: (afterLive.rss - beforeLive.rss) / config.count,
    subscriptions: counts.subscriptions,
    liveFeedConsumers: LiveFeed.of(store).consumerCount,
    errors,
  });
  const close = cleanUp;
  cleanUp = async () => {
    await Promise.all(live.map((actor) => actor.Dispose()));
    await close();
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as LiveWorkerConfig;
  switch (config.role) {
    case 'listen':
      return listen(config);
    case 'fire':
      return fire(config);
    case 'conflict':
      return conflict(config);
    case 'memory':
      return memory(config);
    case 'raw-listen':
      return rawListen(config);
    case 'raw-fire':
      return rawFire(config);
  }
}

main().catch((error: unknown) => {
  process.stdout.write(
    `${JSON.stringify({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })}\n`,
    () => process.exit(1),
  );
});
