/**
 * `omniscient replay <stream> --actor ./module.ts#ClassName`: the stream's events applied one by
 * one through the user's actor class, each printed with what it changed in the state; `--step`
 * waits for Enter between events; a handler that throws is shown at its event with the state
 * before it (exit 5). The store is only read (see `replay.ts`).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { messageOf } from '../../errors.js';
import { ACTOR_OPTION_HELP, actorClassFrom } from '../actor-option.js';
import { CliNotFoundError, ExitCode } from '../cli-errors.js';
import { compactJson } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, wholeNumber, type CommonOptions } from '../options.js';
import { displayValue } from '../../inspection/display-value.js';
import { replayStream, type Replay, type ReplayStep } from '../../inspection/replay-stream.js';
import { displayChanges, formatChanges, formatValue } from '../../inspection/state-changes.js';

interface ReplayOptions extends CommonOptions {
  readonly actor: string;
  readonly to?: number;
  readonly step?: boolean;
  readonly json?: boolean;
  readonly state?: boolean;
}

export function registerReplay(program: Command): void {
  withCommonOptions(
    program
      .command('replay')
      .description(
        "apply a stream's events one by one through your actor class, showing the state after each",
      )
      .argument('<stream>', 'the stream id (the actor id)')
      .requiredOption('--actor <module#Class>', ACTOR_OPTION_HELP)
      .option('--to <version>', 'stop after this version', wholeNumber(1))
      .option('--step', 'wait for Enter after each event (q and Enter to stop)')
      .option('--state', 'print the whole state after each event, not only what changed')
      .option('--json', 'one line of JSON per event: the event, what it changed and the state'),
  ).action(async (stream: string, options: ReplayOptions) => {
    const actorClass = await actorClassFrom(options.actor);
    const replay = await withStore(options.store, async (store) => {
      const result = await replayStream(
        store,
        actorClass,
        stream,
        options.to === undefined ? {} : { to: options.to },
      );
      if (result.storedVersion === 0) {
        throw new CliNotFoundError(
          `no stream "${stream}" in this store: see \`omniscient streams\` for the ids`,
        );
      }
      return result;
    });
    if (options.json) printJson(replay);
    else await printReadable(replay, stream, actorClass.name, options);
    if (replay.failure !== undefined) process.exitCode = ExitCode.handlerFailed;
  });
}

function printJson(replay: Replay): void {
  const lines = replay.steps.map((step) =>
    compactJson({
      event: step.event,
      changes: displayChanges(step.changes),
      state: displayValue(step.state),
    }),
  );
  if (replay.failure !== undefined) {
    const { event, error, stateBefore } = replay.failure;
    lines.push(compactJson({ event, failed: messageOf(error), stateBefore: displayValue(stateBefore) }));
  }
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

async function printReadable(
  replay: Replay,
  stream: string,
  className: string,
  options: ReplayOptions,
): Promise<void> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const shown = replay.steps.length + (replay.failure === undefined ? 0 : 1);
  out(`Replaying "${stream}" through ${className}: ${shown} of ${replay.storedVersion} event(s)`);
  out(`initial state ${formatValue(replay.initial, 1000)}`);
  const pause = options.step ? stepper() : undefined;
  try {
    for (const step of replay.steps) {
      out('');
      printStep(step, options, out);
      if (pause !== undefined && !(await pause.next())) return;
    }
    const failure = replay.failure;
    if (failure !== undefined) {
      out('');
      out(headline(failure.event));
      out(`    data ${formatValue(failure.event.data, 1000)}`);
      out(`    ✗ ${className}.${failure.event.name} threw: ${messageOf(failure.error)}`);
      out(`    state before it ${formatValue(failure.stateBefore, 1000)}`);
      out('');
      out(`The replay stops here: version ${failure.event.version} cannot be applied by ${className}.`);
    }
  } finally {
    pause?.close();
  }
}

function printStep(step: ReplayStep, options: ReplayOptions, out: (text: string) => void): void {
  out(headline(step.event));
  out(`    data ${formatValue(step.event.data, 1000)}`);
  const changes = formatChanges(step.changes, 200);
  if (changes.length === 0) out('    (no change to the state)');
  for (const change of changes) out(`    ${change}`);
  if (options.state) out(`    state ${formatValue(step.state, 1000)}`);
}

function headline(event: ReplayStep['event']): string {
  const by = typeof event.meta['actor'] === 'string' ? `  by ${event.meta['actor']}` : '';
  return `v${event.version}  ${event.name}  ${event.at}${by}`;
}

/** Waits for Enter between events; `q` (then Enter), or the end of the input, stops. */
function stepper(): { next(): Promise<boolean>; close(): void } {
  const input = createInterface({ input: process.stdin });
  const typed: string[] = [];
  let ended = false;
  let waiting: ((line: string | undefined) => void) | undefined;
  input.on('line', (line) => {
    if (waiting === undefined) typed.push(line);
    else waiting(line);
  });
  input.on('close', () => {
    ended = true;
    waiting?.(undefined);
  });
  return {
    async next() {
      process.stderr.write('-- Enter: next event, q: stop -- ');
      const line =
        typed.shift() ??
        (ended ? undefined : await new Promise<string | undefined>((resolve) => (waiting = resolve)));
      waiting = undefined;
      return line !== undefined && line.trim().toLowerCase() !== 'q';
    },
    close: () => input.close(),
  };
}
