/**
 * The exported conformance suite depends on no test runner: under node:test it runs every one of
 * its specifications against a sound engine and passes, and fails an engine with a defect, naming
 * the specifications it breaks.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryStore } from 'omniscient-actors';
import { describeEngineConformance } from 'omniscient-actors/conformance';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs one fixture file under node:test in its own process, as a user of node:test would. */
function runUnderNodeTest(fixture: string): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', `test/conformance/fixtures/${fixture}`],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ exitCode, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** How many specifications the suite registers, counted with a runner that only counts. */
function specificationCount(): number {
  let count = 0;
  describeEngineConformance('counted', () => memoryStore(), {
    describe: (_name, body) => body(),
    it: () => count++,
  });
  return count;
}

describe('the conformance suite under node:test', () => {
  it('runs every specification against the memory engine, and passes', async () => {
    const { exitCode, output } = await runUnderNodeTest('memory-store.fixture.ts');
    const count = specificationCount();
    expect(count).toBeGreaterThan(100);
    expect(output).toContain(`ℹ tests ${count}\n`);
    expect(output).toContain(`ℹ pass ${count}\n`);
    expect(output).toContain('ℹ fail 0\n');
    expect(output).toContain('✔ the memory engine');
    expect(exitCode).toBe(0);
  });

  it('fails an engine that returns a stream newest first, naming the broken specifications', async () => {
    const { exitCode, output } = await runUnderNodeTest('misordered-store.fixture.ts');
    expect(exitCode).toBe(1);
    expect(output).toMatch(/✖ returns its events in version order/);
    expect(output).toMatch(/✖ selects a range with fromVersion, toVersion and limit/);
    expect(output).toContain("code: 'ERR_ASSERTION'");
    // Specifications that never read a stream still pass: the failures are the defect's, not the runner's.
    expect(output).toMatch(/✔ refuses to subscribe after close/);
    expect(output).toMatch(/✔ lists streams in id order with their versions/);
    expect(output).not.toMatch(/ℹ fail 0\n/);
  });
});
