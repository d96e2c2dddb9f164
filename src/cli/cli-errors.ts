/**
 * The command's exit codes, and how an error maps to one. Every failure leaves the command as one
 * line on stderr that says what to do; the stack only with `--debug`.
 *
 * | code | meaning                                                           |
 * | ---- | ----------------------------------------------------------------- |
 * | 0    | done                                                              |
 * | 1    | anything else (a bug, a corrupt row, …)                          |
 * | 2    | bad usage: unknown option or command, bad value, bad store URL    |
 * | 3    | the store is unavailable: down, refused, file missing or not one |
 * | 4    | not found: the stream named, or the actor module or class, does not exist |
 * | 5    | a replay met an event its actor class's handler throws on          |
 */
import { OmniscientError, StoreUnavailableError, UsageError } from '../errors.js';

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  unavailable: 3,
  notFound: 4,
  handlerFailed: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad usage found by the command itself (commander reports its own, with the same code). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** What the command was asked about does not exist. */
export class CliNotFoundError extends Error {
  override readonly name = 'CliNotFoundError';
}

/** A failure the command can explain in its own words (exit 1), such as a port in use. */
export class CliFailureError extends Error {
  override readonly name = 'CliFailureError';
}

export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof CliUsageError || error instanceof UsageError) return ExitCode.usage;
  if (error instanceof StoreUnavailableError) return ExitCode.unavailable;
  if (error instanceof CliNotFoundError) return ExitCode.notFound;
  return ExitCode.failure;
}

/** The one line printed for an error. */
export function describeError(error: unknown): string {
  if (error instanceof StoreUnavailableError) {
    return `${error.message}: check the store URL (--store or OMNISCIENT_STORE) and that the store is up`;
  }
  if (
    error instanceof OmniscientError ||
    error instanceof CliUsageError ||
    error instanceof CliNotFoundError ||
    error instanceof CliFailureError
  ) {
    return error.message;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `${message} (run again with --debug for the details)`;
}
