/**
 * The worker side of the cluster harness: a worker says what it does as JSON lines on stdout and
 * takes commands as JSON lines on stdin. It says `ready` once it is set up and starts its work on
 * the `go` command, so the parent can release every worker at the same moment. When the parent
 * goes away (its end of stdin closes), the worker exits rather than outlive it.
 */
import { createInterface } from 'node:readline';

export interface Command {
  readonly type: string;
  readonly [key: string]: unknown;
}

const received: Command[] = [];
const waiting: Array<(command: Command) => void> = [];
let finished = false;

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const command = JSON.parse(line) as Command;
  const waiter = waiting.shift();
  if (waiter === undefined) received.push(command);
  else waiter(command);
});
lines.on('close', () => {
  if (!finished) process.exit(3);
});

/**
 * Writes one message for the parent. A message may still be on its way when the process is killed:
 * the parent can count on having received a message, never on having received every one.
 */
export function report(type: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`);
}

/** The next command from the parent. */
export function nextCommand(): Promise<Command> {
  const command = received.shift();
  if (command !== undefined) return Promise.resolve(command);
  return new Promise((resolve) => waiting.push(resolve));
}

/** Waits for the next command and checks it is the expected one. */
export async function expectCommand(type: string): Promise<Command> {
  const command = await nextCommand();
  if (command.type !== type) throw new Error(`expected the command "${type}", got "${command.type}"`);
  return command;
}

/** Says `ready`, then waits for `go`. */
export async function readyThenWaitForGo(fields: Record<string, unknown> = {}): Promise<void> {
  report('ready', fields);
  await expectCommand('go');
}

/** Resolves once `condition` holds, checking after each turn of the event loop that lets I/O in. */
export async function until(condition: () => boolean, describeProgress?: () => unknown): Promise<void> {
  let lastProgress = Date.now();
  while (!condition()) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    // A hint for whoever reads a failure: never asserted, only shown if the parent gives up.
    if (describeProgress !== undefined && Date.now() - lastProgress > 2000) {
      lastProgress = Date.now();
      report('waiting', { progress: describeProgress() });
    }
  }
}

/**
 * Says a last message and exits with `code` (the readline interface would otherwise keep the
 * process alive). It exits only once the message is written: a long line can still be on its way
 * into the pipe, and exiting would cut it.
 */
function exitAfter(code: number, type: string, fields: Record<string, unknown>): Promise<never> {
  finished = true;
  return new Promise(() => {
    process.stdout.write(`${JSON.stringify({ type, ...fields })}\n`, () => process.exit(code));
  });
}

/** Says a last message and exits with code 0. */
export function finish(type: string, fields: Record<string, unknown> = {}): Promise<never> {
  return exitAfter(0, type, fields);
}

/** Runs the worker; an unexpected failure is reported and the worker exits with an error code. */
export function failOn(run: () => Promise<void>): void {
  run().catch((error: unknown) =>
    exitAfter(1, 'failed', {
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }),
  );
}
