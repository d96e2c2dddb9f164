/**
 * `omniscient snapshots rebuild --actor ./module.ts#Class`: recomputes the snapshot of every
 * stream of the class (those holding an event it fired; `--stream` names streams outright), with
 * a progress bar on stderr and a summary; see `snapshot-rebuild.ts`. The only command that writes:
 * snapshots only, never an event. A stream whose handler throws is reported and left as it was
 * (exit 5 at the end).
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { EventStore } from '../../engines/engine.js';
import { ACTOR_OPTION_HELP, actorClassFrom } from '../actor-option.js';
import { CliNotFoundError, CliUsageError, ExitCode } from '../cli-errors.js';
import { withStore } from '../open-store.js';
import { collect, withCommonOptions } from '../options.js';
import type { ReplayableClass } from '../../inspection/replay-stream.js';
import { rebuildSnapshot, snapshotEveryOf } from '../snapshot-rebuild.js';

interface RebuildOptions {
  readonly store?: string;
  readonly actor: string;
  readonly stream?: readonly string[];
  readonly prefix?: string;
}

const PAGE = 500;

export function registerSnapshots(program: Command): void {
  const snapshots = program.command('snapshots').description("manage actors' snapshots");
  withCommonOptions(
    snapshots
      .command('rebuild')
      .description('recompute the snapshots of every stream of an actor class')
      .requiredOption('--actor <module#Class>', ACTOR_OPTION_HELP)
      .option('--stream <id>', 'only this stream, whoever fired its events (repeat for several)', collect)
      .option('--prefix <text>', 'only streams whose id starts with this text'),
  ).action(async (options: RebuildOptions) => {
    const actorClass = await actorClassFrom(options.actor);
    const every = snapshotEveryOf(actorClass);
    if (every === 0) {
      throw new CliUsageError(
        `${actorClass.name}.snapshotEvery is 0: its snapshots are off, there is none to rebuild`,
      );
    }
    const failed = await withStore(
      options.store,
      (store) => rebuildAll(store, actorClass, every, options),
      'write',
    );
    if (failed > 0) process.exitCode = ExitCode.handlerFailed;
  });
}

async function rebuildAll(
  store: EventStore,
  actorClass: ReplayableClass,
  every: number,
  options: RebuildOptions,
): Promise<number> {
  const named = options.stream !== undefined && options.stream.length > 0;
  const streams = named ? [...(options.stream ?? [])] : await allStreams(store, options.prefix);
  const bar = new SingleBar({
    format: `${actorClass.name} snapshots [{bar}] {value}/{total} streams | {stream}`,
    stream: process.stderr,
    noTTYOutput: false,
    hideCursor: true,
  });
  bar.start(streams.length, 0, { stream: '' });
  const counts = { saved: 0, short: 0, other: 0 };
  const failures: string[] = [];
  try {
    for (const stream of streams) {
      bar.update({ stream });
      if (named && (await store.streamVersion(stream)) === 0) {
        throw new CliNotFoundError(
          `no stream "${stream}" in this store: see \`omniscient streams\` for the ids`,
        );
      }
      const outcome = await rebuildSnapshot(store, actorClass, stream, { anyStream: named });
      if (outcome.kind === 'saved') counts.saved++;
      else if (outcome.kind === 'too short') counts.short++;
      else if (outcome.kind === 'not its stream') counts.other++;
      else failures.push(`  ${stream}: version ${outcome.version}: ${outcome.error.message}`);
      bar.increment();
    }
  } finally {
    bar.stop();
  }
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`${counts.saved} snapshot(s) of ${actorClass.name} rebuilt (one every ${every} events).`);
  if (counts.short > 0) out(`${counts.short} stream(s) with fewer than ${every} events need none.`);
  if (counts.other > 0)
    out(
      `${counts.other} stream(s) hold no event fired by ${actorClass.name}: left alone (name them with --stream).`,
    );
  if (failures.length > 0) {
    out(
      `${failures.length} stream(s) could not be loaded by ${actorClass.name}; their snapshots are left as they were:`,
    );
    for (const line of failures) out(line);
  }
  return failures.length;
}

async function allStreams(store: EventStore, prefix: string | undefined): Promise<string[]> {
  const streams: string[] = [];
  for (let after: string | undefined; ;) {
    const page = await store.listStreams({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
      ...(prefix === undefined ? {} : { prefix }),
    });
    streams.push(...page.map((info) => info.stream));
    if (page.length < PAGE) return streams;
    after = page.at(-1)?.stream;
  }
}
