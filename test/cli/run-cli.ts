/**
 * Runs the `omniscient` command as users do, as a child process (`node --import tsx
 * src/cli/main.ts …`), with `OMNISCIENT_STORE` unset unless a test sets it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '100' };
  delete base['OMNISCIENT_STORE'];
  // The test runner's own loader options must not reach the command.
  delete base['NODE_OPTIONS'];
  return { ...base, ...env };
}

export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: root,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningCli(child);
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).exit();
}

export class RunningCli {
  stdout = '';
  stderr = '';
  readonly #exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.#exited = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
  }

  /** Resolves once what the command printed satisfies `test` (rejects if it exits first). */
  async until(test: (self: RunningCli) => boolean): Promise<void> {
    while (!test(this)) {
      if (this.child.exitCode !== null) {
        throw new Error(`the command exited ${this.child.exitCode}\n${this.stdout}${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async exit(): Promise<CliResult> {
    const code = await this.#exited;
    return { code, stdout: this.stdout, stderr: this.stderr };
  }
}
