/**
 * The PostgreSQL listening connection's heartbeat obeys the process-lifetime rule: a check waiting
 * for an answer that never comes does not keep a finished program alive. Runs a real Node process
 * (`fixtures/heartbeat-child.ts`); the deadline only keeps a broken rule from hanging the suite.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/heartbeat-child.ts', import.meta.url));
const EXIT_DEADLINE_MS = 30_000;

describe('the listening connection heartbeat', () => {
  it('lets the process exit while a check waits for an answer', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: repositoryRoot,
      timeout: EXIT_DEADLINE_MS,
    });
    expect(stdout).toContain('exited');
  }, 60_000);
});
