/**
 * Runs the scripts of `fixtures/` as real Node processes, the way several processes of one machine
 * share a SQLite file. A child says `ready` once it is set up and waits for `go` on its stdin, so a
 * test can release several children at the same moment without guessing how long they take to start.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorldReadableCopy } from './world-readable-copy.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildOptions {
  /** Run as this user and group (only possible when the test runs as root). */
  uid?: number;
  gid?: number;
  /**
   * Run the fixture compiled in this copy (see `world-readable-copy.ts`) rather than from the clone
   * through tsx: another user may not be able to enter the clone.
   */
  copy?: WorldReadableCopy;
}

export interface Child {
  /** Resolves when the child has said `ready`. */
  readonly ready: Promise<void>;
  /** Lets the child start its work. */
  go(): void;
  /** Resolves to the JSON the child printed last, once it has exited with code 0. */
  readonly result: Promise<unknown>;
}

export function startChild(fixture: string, args: readonly string[], options: ChildOptions = {}): Child {
  const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const command = options.copy === undefined ? ['--import', 'tsx', script] : [options.copy.scriptOf(fixture)];
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: options.copy?.directory ?? repositoryRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.split('\n').includes('ready')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.trim().split('\n');
      if (code !== 0) {
        reject(new Error(`${fixture} exited with code ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve(JSON.parse(lines[lines.length - 1] as string));
    });
  });
  // A child that fails before saying ready must not leave the test waiting for it.
  const readyOrFailed = Promise.race([ready, result.then(() => undefined)]);
  return { ready: readyOrFailed, go: () => child.stdin.end('go\n'), result };
}

/** Starts every child, waits until all are ready, releases them together and collects their results. */
export async function runTogether(children: readonly Child[]): Promise<unknown[]> {
  await Promise.all(children.map((child) => child.ready));
  for (const child of children) child.go();
  return Promise.all(children.map((child) => child.result));
}
