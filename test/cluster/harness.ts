/**
 * Runs a cluster of real Node processes pointed at one shared store, the way an application's
 * processes are deployed, so that tests see what crosses process boundaries: separate connections,
 * separate live feeds, separate memory, and processes that die.
 *
 * Each worker is a script of `workers/`, run as `node --import tsx workers/<name>.ts <config>`,
 * told which store to open through its environment. It reports JSON lines on stdout (see
 * `workers/protocol.ts`), says `ready` once set up, and waits for `go`, so that a test releases
 * every worker at the same moment without guessing how long they take to start.
 *
 * A cluster fails loudly rather than hang: a worker that exits when it was not told to, or the
 * cluster's overall deadline passing, rejects everything the test is waiting for with what each
 * worker last said and wrote on stderr, and every child is killed. `stop()` kills whatever is left.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SHARED_STORE_VARIABLE, type SharedStore } from './workers/shared-store.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** How long a whole cluster may run before it is declared hung (generous: 2 cores, many processes). */
export const DEFAULT_CLUSTER_DEADLINE_MS = 45_000;

export interface WorkerMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface WorkerOptions {
  /** Extra options for `node` itself, such as `--expose-gc`. */
  readonly nodeOptions?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

interface Watcher {
  readonly check: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One worker process and everything it has said so far. */
export class WorkerProcess {
  readonly name: string;
  /** Every message the worker printed, in order. */
  readonly messages: WorkerMessage[] = [];
  /** Resolves when the process has exited, however it exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  readonly #child: ChildProcessWithoutNullStreams;
  readonly #watchers = new Set<Watcher>();
  #stderr = '';
  #failure: Error | undefined;
  #killedOnPurpose = false;
  #hasExited = false;

  readonly #onFailure: (error: Error) => void;

  constructor(
    name: string,
    script: string,
    config: unknown,
    shared: SharedStore,
    options: WorkerOptions,
    onFailure: (error: Error) => void,
  ) {
    this.name = name;
    this.#onFailure = onFailure;
    this.#child = spawn(
      process.execPath,
      [...(options.nodeOptions ?? []), '--import', 'tsx', script, JSON.stringify(config)],
      {
        cwd: repositoryRoot,
        env: { ...process.env, ...options.env, [SHARED_STORE_VARIABLE]: JSON.stringify(shared) },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let pending = '';
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() as string;
      for (const line of lines) if (line.trim() !== '') this.#receive(line);
    });
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    // The parent may write to a worker that has just died: that is reported through its exit.
    this.#child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (error) => {
        this.fail(new Error(`${this.name} could not start: ${error.message}`));
      });
      this.#child.on('close', (code, signal) => {
        this.#hasExited = true;
        if (!this.#killedOnPurpose && code !== 0) {
          this.fail(new Error(`${this.name} exited with ${signal ?? `code ${code}`}\n${this.describe()}`));
        } else {
          this.#settleWatchers();
          this.#rejectWatchers(
            new Error(`${this.name} exited before saying what was awaited\n${this.describe()}`),
          );
        }
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The messages of one type, in order. */
  messagesOf(type: string): WorkerMessage[] {
    return this.messages.filter((message) => message.type === type);
  }

  /** Resolves to the first message of `type` the worker prints (or has printed). */
  async message<M extends WorkerMessage = WorkerMessage>(type: string): Promise<M> {
    await this.until(() => this.messages.some((message) => message.type === type));
    return this.messages.find((message) => message.type === type) as M;
  }

  /** Resolves once `check` holds for what the worker has said. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#hasExited) {
      return Promise.reject(
        new Error(`${this.name} exited before saying what was awaited\n${this.describe()}`),
      );
    }
    return new Promise((resolve, reject) => this.#watchers.add({ check, resolve, reject }));
  }

  /** Sends one command line to the worker. */
  send(type: string, fields: Record<string, unknown> = {}): void {
    this.#child.stdin.write(`${JSON.stringify({ type, ...fields })}\n`);
  }

  /** Kills the worker at once with SIGKILL, as a crash or an OOM killer would, and waits until it is gone. */
  async kill(): Promise<void> {
    this.#killedOnPurpose = true;
    if (!this.#hasExited) this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** Fails everything waiting on this worker and kills it. */
  fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#rejectWatchers(error);
    if (!this.#hasExited) {
      this.#killedOnPurpose = true;
      this.#child.kill('SIGKILL');
    }
    this.#onFailure(error);
  }

  /** What the worker last said and wrote on stderr, for failure messages. */
  describe(): string {
    const last = this.messages.slice(-5).map((message) => JSON.stringify(message).slice(0, 2000));
    return [
      `--- ${this.name} (pid ${this.pid}), ${this.messages.length} messages, the last ones:`,
      ...last,
      `--- ${this.name} stderr:`,
      this.#stderr.slice(-4000),
    ].join('\n');
  }

  #receive(line: string): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      message = { type: 'text', text: line };
    }
    this.messages.push(message);
    this.#settleWatchers();
  }

  #settleWatchers(): void {
    for (const watcher of this.#watchers) {
      if (watcher.check()) {
        this.#watchers.delete(watcher);
        watcher.resolve();
      }
    }
  }

  #rejectWatchers(error: Error): void {
    for (const watcher of this.#watchers) watcher.reject(error);
    this.#watchers.clear();
  }
}

/** Several worker processes sharing one store, with one deadline for all of them. */
export class Cluster {
  readonly shared: SharedStore;
  readonly workers: WorkerProcess[] = [];
  readonly #deadline: NodeJS.Timeout;

  constructor(shared: SharedStore, options: { deadlineMs?: number } = {}) {
    this.shared = shared;
    const deadlineMs = options.deadlineMs ?? DEFAULT_CLUSTER_DEADLINE_MS;
    this.#deadline = setTimeout(() => {
      const error = new Error(
        `the cluster did not finish within ${deadlineMs} ms; what each worker said last:\n` +
          this.workers.map((worker) => worker.describe()).join('\n'),
      );
      for (const worker of this.workers) worker.fail(error);
    }, deadlineMs);
  }

  /** Starts `workers/<script>.ts` with `config` as its argument. */
  start(script: string, name: string, config: unknown, options: WorkerOptions = {}): WorkerProcess {
    const path = fileURLToPath(new URL(`./workers/${script}.ts`, import.meta.url));
    // One worker failing fails the whole cluster: the others would only wait for it.
    const worker = new WorkerProcess(name, path, config, this.shared, options, (error) => {
      for (const other of this.workers) if (other !== worker) other.fail(error);
    });
    this.workers.push(worker);
    return worker;
  }

  /** Waits until every worker started so far is ready, then releases them all together. */
  async go(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.message('ready')));
    for (const worker of this.workers) worker.send('go');
  }

  /** Kills every worker still running and waits for them; the cluster's deadline stops. */
  async stop(): Promise<void> {
    clearTimeout(this.#deadline);
    await Promise.all(this.workers.map((worker) => worker.kill()));
  }
}
