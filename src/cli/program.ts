/**
 * The `omniscient` program: commander, configured so that usage errors exit 2 with one line that
 * says where to look, and the list of commands. A command lives in `commands/<name>.ts` and exports
 * a function that adds itself to the program; adding a command is one line in `COMMANDS`.
 */
import { Command } from 'commander';
import { registerEvents } from './commands/events.js';
import { registerInspect } from './commands/inspect.js';
import { registerReplay } from './commands/replay.js';
import { registerSnapshots } from './commands/snapshots.js';
import { registerStreams } from './commands/streams.js';
import { registerTail } from './commands/tail.js';

/** Adds one command (with its options and action) to the program. */
export type RegisterCommand = (program: Command) => void;

/** Every command of the program, in the order `--help` lists them. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerStreams,
  registerEvents,
  registerTail,
  registerReplay,
  registerSnapshots,
  registerInspect,
];

export function buildProgram(version: string): Command {
  const program = new Command('omniscient')
    .description(
      'Inspect an Omniscient event store: its streams, their events, events as they are stored, a stream replayed through your actor class, and all of it in a web inspector.',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`${text.trimEnd()} (see omniscient --help)\n`),
    });
  program.addHelpText(
    'after',
    '\nEvery command takes --store <url> (or $OMNISCIENT_STORE): sqlite:./events.db, postgres://user@host/db?schema=omniscient\nExit codes: 0 ok, 1 other failure, 2 bad usage, 3 store unavailable, 4 not found, 5 a handler threw in a replay.',
  );
  for (const register of COMMANDS) register(program);
  return program;
}
