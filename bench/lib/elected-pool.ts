/**
 * The processes of a OneActor or TickActor benchmark, seen from the parent: a fixed number of
 * slots, each holding one live worker (`bench/workers/elected-worker.ts`) with the actor loaded. A
 * worker killed, or disposed and stopped, is replaced in its slot by a new process with a new node
 * name (`b2` is slot b's second process), which loads the actor again, so that the pool always
 * holds the same number of instances.
 *
 * Every worker's monotonic clock is checked against the parent's when it starts: the benchmarks
 * subtract times taken in different processes.
 */
import { fileURLToPath } from 'node:url';
import type { ElectedWorkerConfig } from '../workers/elected-worker.js';
import { machineMillis } from './live-actors.js';
import { LiveWorker, stopAll, type WorkerMessage } from './live-processes.js';

const electedWorkerScript = fileURLToPath(new URL('../workers/elected-worker.ts', import.meta.url));

/** How long a worker may take to start, open its store and load its actor on a busy machine. */
const START_TIMEOUT_MS = 60_000;

interface Slot {
  readonly letter: string;
  readonly generation: number;
  readonly node: string;
  readonly worker: LiveWorker;
}

export interface ElectedPoolSettings {
  /** Everything of a worker's config but its node name. */
  readonly config: Omit<ElectedWorkerConfig, 'node'>;
  /** Sent to every worker once it has loaded its actor, replacements included (`fire-every`, say). */
  readonly onStart?: (worker: LiveWorker) => void;
}

export class ElectedPool {
  readonly #settings: ElectedPoolSettings;
  readonly #slots: Slot[] = [];
  /** Every worker ever started, so that `stop` leaves none behind, even after a failed start. */
  readonly #started: LiveWorker[] = [];

  constructor(settings: ElectedPoolSettings) {
    this.#settings = settings;
  }

  /** Starts `count` workers at once; resolves when every one has loaded its actor. */
  async start(count: number): Promise<void> {
    const letters = [...'abcdefghij'.slice(0, count)];
    this.#slots.push(...(await Promise.all(letters.map((letter) => this.#spawn(letter, 1)))));
  }

  get nodes(): string[] {
    return this.#slots.map((slot) => slot.node);
  }

  workerOf(node: string): LiveWorker {
    return this.#slots[this.#indexOf(node)]!.worker;
  }

  /**
   * The node whose instance leads, once exactly one says it does (asked every 10 ms); rejects
   * after `timeoutMs`.
   */
  async leader(timeoutMs: number): Promise<string> {
    const deadline = machineMillis() + timeoutMs;
    for (;;) {
      const answers = await Promise.all(
        this.#slots.map(async (slot) => {
          slot.worker.send('status');
          const status = await slot.worker.next<WorkerMessage & { leading: boolean }>('status', 10_000);
          return status.leading ? [slot.node] : [];
        }),
      );
      const leaders = answers.flat();
      if (leaders.length === 1) return leaders[0]!;
      if (machineMillis() > deadline) {
        throw new Error(`${leaders.length} instances lead after ${timeoutMs} ms: ${leaders.join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** `kill -9` of the process `node`; `replace` starts its successor in the slot. */
  async kill(node: string): Promise<{ replace: () => Promise<void> }> {
    const index = this.#indexOf(node);
    const slot = this.#slots[index]!;
    await slot.worker.kill();
    return { replace: () => this.#replace(index) };
  }

  /** Lets the process `node` exit (its actor is disposed already, or is disposed on the way), then replaces it. */
  async retire(node: string): Promise<void> {
    const index = this.#indexOf(node);
    await this.#slots[index]!.worker.stop();
    await this.#replace(index);
  }

  async stop(): Promise<void> {
    await stopAll(this.#started);
  }

  async #replace(index: number): Promise<void> {
    const slot = this.#slots[index]!;
    this.#slots[index] = await this.#spawn(slot.letter, slot.generation + 1);
  }

  #indexOf(node: string): number {
    const index = this.#slots.findIndex((slot) => slot.node === node);
    if (index < 0) throw new Error(`no live worker is ${node}`);
    return index;
  }

  async #spawn(letter: string, generation: number): Promise<Slot> {
    const node = `${letter}${generation}`;
    const config: ElectedWorkerConfig = { ...this.#settings.config, node };
    const worker = new LiveWorker(`${config.kind} worker ${node}`, config, { script: electedWorkerScript });
    this.#started.push(worker);
    await worker.next('ready', START_TIMEOUT_MS);
    await worker.checkSharedClock();
    this.#settings.onStart?.(worker);
    return { letter, generation, node, worker };
  }
}
