/**
 * Worker processes for the multi-process benchmarks, seen from the parent. Each worker is
 * `node --import tsx bench/workers/live-worker.ts <config>` (or another worker script): it opens its own connection to the
 * shared store, answers JSON lines on stdout, and takes commands as JSON lines on stdin (see the
 * worker for the roles and their messages).
 *
 * A benchmark fails loudly rather than hang: waiting for a message has a deadline, and a worker
 * that fails or exits when it was not told to rejects whatever waits on it, with what it wrote on
 * stderr. `stop()` kills what is left.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineMillis } from './live-actors.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const workerScript = fileURLToPath(new URL('../workers/live-worker.ts', import.meta.url));

export interface WorkerMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

interface Waiter {
  readonly type: string;
  readonly resolve: (message: WorkerMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class LiveWorker {
  readonly name: string;
  readonly #child: ChildProcessWithoutNullStreams;
  /** Messages not yet taken by `next`, in order. */
  readonly #unread: WorkerMessage[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #exited: Promise<void>;
  #stderr = '';
  #failure: Error | undefined;
  #stopping = false;

  constructor(
    name: string,
    config: unknown,
    options: { nodeOptions?: readonly string[]; script?: string } = {},
  ) {
    this.name = name;
    this.#child = spawn(
      process.execPath,
      [
        ...(options.nodeOptions ?? []),
        '--import',
        'tsx',
        options.script ?? workerScript,
        JSON.stringify(config),
      ],
      { cwd: repositoryRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let pending = '';
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') this.#receive(line);
    });
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8000);
    });
    this.#child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (error) => this.#fail(new Error(`${name} could not start: ${error.message}`)));
      this.#child.on('close', (code, signal) => {
        if (!this.#stopping) {
          this.#fail(
            new Error(`${name} exited (${signal ?? `code ${code}`}) unexpectedly${this.#describe()}`),
          );
        }
        resolve();
      });
    });
  }

  /** The next message of `type` the worker says (or has said and no one took yet). */
  next<M extends WorkerMessage = WorkerMessage>(type: string, timeoutMs: number): Promise<M> {
    const index = this.#unread.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.#unread.splice(index, 1)[0] as M);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<M>((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: resolve as (message: WorkerMessage) => void,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          const error = new Error(
            `${this.name} did not say "${type}" within ${timeoutMs} ms${this.#describe()}`,
          );
          reject(error);
          this.#fail(error);
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  send(type: string, fields: Record<string, unknown> = {}): void {
    this.#child.stdin.write(`${JSON.stringify({ type, ...fields })}\n`);
  }

  /**
   * Checks that the worker's clock is this process's: it stamps a round trip, and its stamp must
   * fall between the parent's. Answers the round trip in milliseconds.
   */
  async checkSharedClock(): Promise<number> {
    const sent = machineMillis();
    this.send('clock');
    const { at } = await this.next<{ type: string; at: number }>('clock', 10_000);
    const received = machineMillis();
    if (!(sent <= at && at <= received)) {
      throw new Error(
        `${this.name}'s monotonic clock is not this process's (${sent} ≤ ${at} ≤ ${received} fails): ` +
          'latencies across these processes cannot be measured with it',
      );
    }
    return received - sent;
  }

  /** Tells the worker to finish and waits for it to exit; kills it if it does not within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  /** `kill -9`: the worker gets no chance to clean up, as in a crash. Resolves once it is gone. */
  async kill(): Promise<void> {
    this.#stopping = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
      await this.#exited;
    }
  }

  #receive(line: string): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      message = { type: 'text', text: line };
    }
    if (message.type === 'failed') {
      this.#fail(new Error(`${this.name} failed: ${String(message['error'])}${this.#describe()}`));
      return;
    }
    for (const waiter of this.#waiters) {
      if (waiter.type === message.type) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
        return;
      }
    }
    this.#unread.push(message);
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
    this.#stopping = true;
    this.#child.kill('SIGKILL');
  }

  #describe(): string {
    const stderr = this.#stderr.trim();
    return stderr === '' ? '' : `\n--- ${this.name} stderr:\n${stderr}`;
  }
}

/** Stops every worker, whatever state each is in. */
export async function stopAll(workers: readonly LiveWorker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.stop()));
}
