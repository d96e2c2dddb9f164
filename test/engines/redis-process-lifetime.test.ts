/**
 * The process-lifetime rule (`process-hold.ts`, `test/engines/process-lifetime.test.ts`) on the
 * Redis engine: an open subscription keeps the process alive; a call being awaited is answered
 * before the process may end (a program must never exit silently mid-await); and once nothing is
 * subscribed or pending, the store's connections and timers never hold it, even if the store is
 * never closed, and even while its server cannot be reached.
 *
 * Each case runs a real Node process (`fixtures/redis-lifetime-child.ts`). The deadlines only keep
 * a broken rule from hanging the suite; nothing asserts how fast anything is.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../engines/redis/server.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/redis-lifetime-child.ts', import.meta.url));
const STAYS_ALIVE_MS = 1_500;
const EXIT_DEADLINE_MS = 20_000;
/** Nothing listens on port 1: connections are refused at once. */
const UNREACHABLE_URL = 'redis://127.0.0.1:1';

const running = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function start(mode: string, url: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, url, freshPrefix()], {
    cwd: repositoryRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = <T>(promise: Promise<T>, what: string) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${what} within ${EXIT_DEADLINE_MS} ms\n${output}`)),
          EXIT_DEADLINE_MS,
        ),
      ),
    ]);
  return {
    child,
    output: () => output,
    exit: () => deadline(exited, 'the child did not exit'),
    said: (line: string) =>
      deadline(
        new Promise<void>((resolve, reject) => {
          const check = () => output.split('\n').includes(line) && resolve();
          child.stdout.on('data', check);
          void exited.then(() => (output.split('\n').includes(line) ? resolve() : reject(new Error(output))));
          check();
        }),
        `the child did not say ${line}`,
      ),
  };
}

describeWithRedis('process lifetime on the Redis engine', () => {
  it('answers the calls a process awaits before letting it end', async () => {
    const started = start('calls', REDIS_URL);
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toContain('version 1');
  }, 60_000);

  it('finishes closing the store before a process that awaits close() may end', async () => {
    const started = start('closes', REDIS_URL);
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toContain('closed');
  }, 60_000);

  it('keeps a process whose only work is a resident LiveActor alive, until the actor is disposed', async () => {
    const started = start('resident', REDIS_URL);
    await started.said('loaded');
    await new Promise((resolve) => setTimeout(resolve, STAYS_ALIVE_MS));
    expect(started.child.exitCode, started.output()).toBe(null);
    started.child.kill('SIGUSR2');
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toMatch(/disposed/);
  }, 60_000);

  it('lets a process that disposed every actor exit without closing its store', async () => {
    const started = start('disposed', REDIS_URL);
    expect(await started.exit(), started.output()).toBe(0);
    expect(started.output()).toMatch(/disposed/);
  }, 60_000);

  it('lets a process exit whose store cannot reach its server, with nothing subscribed', async () => {
    const started = start('unreachable', UNREACHABLE_URL);
    await started.said('refused: StoreUnavailableError');
    expect(await started.exit(), started.output()).toBe(0);
  }, 60_000);
});
