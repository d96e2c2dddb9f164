import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs one fixture file under node:test in its own process, as a user of node:test would. */
function runUnderNodeTest(fixture: string): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', `test/testing/fixtures/${fixture}`],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ exitCode, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('stories under node:test', () => {
  test('a story that holds passes', async () => {
    const { exitCode, output } = await runUnderNodeTest('passing-story.fixture.ts');
    expect(output).toContain('pass 1');
    expect(exitCode).toBe(0);
  });

  test('a story that fails fails the run and prints its readable diff', async () => {
    const { exitCode, output } = await runUnderNodeTest('failing-story.fixture.ts');
    expect(exitCode).toBe(1);
    expect(output).toContain('fail 1');
    expect(output).toContain('A user logs in with a numeric token');
    expect(output).toContain('[0].data.token: expected {string}, got 42');
    expect(output).toMatch(/- +token: '\{string\}'/);
    expect(output).toMatch(/\+ +token: 42/);
    expect(output).toContain("code: 'ERR_ASSERTION'");
  });
});
