#!/usr/bin/env node
/**
 * The `omniscient` command's entry (the package's `bin`). Runs the program, and turns whatever it
 * ends with into an exit code (see `cli-errors.ts`) and at most one line on stderr; `--debug`
 * adds the stack.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { describeError, ExitCode, exitCodeOf } from './cli-errors.js';
import { buildProgram } from './program.js';

function packageVersion(): string {
  // dist/cli/main.js and src/cli/main.ts both sit two levels under the package's root.
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function main(argv: readonly string[]): Promise<number> {
  // Output cut short by its reader (`omniscient events x | head`) is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.ok);
    throw error;
  });
  try {
    await buildProgram(packageVersion()).parseAsync([...argv], { from: 'node' });
    // A command that finished but has something to report (a replay that met a failing handler).
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the help, the version, or its one-line usage error already.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const debug = argv.includes('--debug');
    process.stderr.write(`omniscient: ${describeError(error)}\n`);
    if (debug && error instanceof Error && error.stack !== undefined)
      process.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv);
