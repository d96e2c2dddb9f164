/**
 * The options every command takes (`--store`, `--debug`), and the checks of option values that
 * commander leaves to the program. A bad value is a `CliUsageError` (exit 2).
 */
import { InvalidArgumentError, type Command } from 'commander';

export interface CommonOptions {
  readonly store?: string;
  readonly debug?: boolean;
}

/** Adds `--store` and `--debug` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--store <url>', 'the store: sqlite:<file> or postgres://… (default: $OMNISCIENT_STORE)')
    .option('--debug', 'print the stack of an error');
}

/** A commander value parser for a whole number >= `min`. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min) {
      throw new InvalidArgumentError(`expected a whole number >= ${min}, got "${value}".`);
    }
    return number;
  };
}

/** A commander value parser for an option given several times: every value, in order. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
