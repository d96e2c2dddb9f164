/**
 * What a campaign does to its process's lifetime: an open campaign keeps the process alive, as an
 * open subscription does (a standby exists to take over); once it or its keeper is closed, nothing
 * of the keeper holds the process, even with the store left open. Each case runs a real Node
 * process (`campaign-child.ts`). "Still running after a while" needs a wait; nothing asserts how
 * fast anything is, and the deadline only keeps a broken rule from hanging the suite.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./campaign-child.ts', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'omniscient-campaign-lifetime-'));
/** How long a campaigning process must outlive its election to count as kept alive. */
const STAYS_ALIVE_MS = 1_500;
const EXIT_DEADLINE_MS = 30_000;

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(mode: string, store: readonly string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, ...store], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = setTimeout(() => child.kill('SIGKILL'), EXIT_DEADLINE_MS);
  void exited.then(() => clearTimeout(deadline));
  const said = async (line: string) => {
    while (!output.split('\n').includes(line)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(output);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { child, exited, said, output: () => output };
}

describe.each([
  ['memory', () => ['memory']],
  ['SQLite', () => ['sqlite', join(directory, `store-${Math.random()}.sqlite`)]],
])('a campaign and its process on %s', (_name, store) => {
  it('keeps a process whose only work is an open campaign alive, until its keeper closes', async () => {
    const started = run('resident', store());
    await started.said('elected');
    await new Promise((resolve) => setTimeout(resolve, STAYS_ALIVE_MS));
    expect(started.child.exitCode, started.output()).toBeNull();
    started.child.kill('SIGUSR2');
    expect(await started.exited, started.output()).toBe(0);
    expect(started.output()).toMatch(/deposed closed\nclosed/);
  }, 60_000);

  it.each(['closed', 'keeper-closed'])(
    'lets the process exit once %s, with its store left open',
    async (mode) => {
      const started = run(mode, store());
      expect(await started.exited, started.output()).toBe(0);
      expect(started.output()).toMatch(/elected\ndeposed closed\nclosed/);
    },
    60_000,
  );

  it('lets the process exit once its store is closed under a leading campaign: nobody can answer it any more', async () => {
    const started = run('store-closed', store());
    expect(await started.exited, started.output()).toBe(0);
    expect(started.output()).toMatch(/elected\n(store closed\n)?deposed closed/);
  }, 60_000);
});
