/**
 * The process-lifetime rule, the same on every engine: an open subscription (what a loaded
 * LiveActor holds until `Dispose()`) keeps the process alive; once nothing is subscribed, the
 * store's idle connections and timers never hold it, even if the store is never closed.
 *
 * Each case runs a real Node process (`fixtures/lifetime/live-actor-child.ts`). Waiting is
 * unavoidable here ("still running after a while"), but nothing asserts how fast anything is: the
 * deadlines only keep a broken rule from hanging the suite.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from './redis/server.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/lifetime/live-actor-child.ts', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'omniscient-lifetime-'));
/** How long a resident process must outlive its start to count as kept alive. */
const STAYS_ALIVE_MS = 1_500;
/** A guard against hanging: far longer than exiting ever takes. */
const EXIT_DEADLINE_MS = 30_000;

const running = new Set<ChildProcessWithoutNullStreams>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves once the child printed `line`. */
  said(line: string): Promise<void>;
  /** Resolves to the exit code once the child exits; rejects past the deadline. */
  exit(): Promise<number | null>;
  output(): string;
}

function start(mode: 'resident' | 'disposed', store: readonly string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, ...store], {
    cwd: repositoryRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = () => `stdout: ${stdout}\nstderr: ${stderr}`;
  const withDeadline = <T>(promise: Promise<T>, what: string) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${what} within ${EXIT_DEADLINE_MS} ms\n${output()}`)),
          EXIT_DEADLINE_MS,
        ),
      ),
    ]);
  return {
    child,
    said: (line) =>
      withDeadline(
        new Promise<void>((resolve, reject) => {
          const check = () => stdout.split('\n').includes(line) && resolve();
          child.stdout.on('data', check);
          void exited.then(() =>
            stdout.split('\n').includes(line) ? resolve() : reject(new Error(output())),
          );
          check();
        }),
        `the child did not say ${line}`,
      ),
    exit: () => withDeadline(exited, 'the child did not exit'),
    output,
  };
}

function stillRunning(child: ChildProcessWithoutNullStreams): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function specifyLifetime(store: () => readonly string[]): void {
  it('keeps a process whose only work is a resident LiveActor alive, until the actor is disposed', async () => {
    const started = start('resident', store());
    await started.said('loaded');
    await new Promise((resolve) => setTimeout(resolve, STAYS_ALIVE_MS));
    expect(stillRunning(started.child), started.output()).toBe(true);
    started.child.kill('SIGUSR2');
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toMatch(/disposed/);
  }, 60_000);

  it('lets a process that disposed every actor exit without closing its store', async () => {
    const started = start('disposed', store());
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toMatch(/disposed/);
  }, 60_000);
}

describe('process lifetime on the memory engine', () => {
  specifyLifetime(() => ['memory']);
});

describe('process lifetime on the SQLite engine', () => {
  let files = 0;
  specifyLifetime(() => ['sqlite', join(directory, `store-${++files}.sqlite`)]);
});

describeWithPostgres('process lifetime on the PostgreSQL engine', () => {
  specifyLifetime(() => ['postgres', POSTGRES_URL, freshSchema()]);
});

describeWithRedis('process lifetime on the Redis engine', () => {
  specifyLifetime(() => ['redis', REDIS_URL, freshPrefix()]);
});
