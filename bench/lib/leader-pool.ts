/**
 * The processes of a leaders benchmark, seen from the parent: a fixed number of slots, each holding
 * one live worker (`bench/workers/leader-worker.ts`) that campaigns for the lease. A worker killed
 * or stopped is replaced in its slot by a new process with a new node name (`b2` is slot b's second
 * process), so the checker tells every process's writes apart.
 *
 * Every worker's monotonic clock is checked against the parent's when it starts: the benchmark
 * subtracts times taken in different processes.
 */
import { fileURLToPath } from 'node:url';
import type { LeaderWorkerConfig } from '../workers/leader-worker.js';
import { LiveWorker, stopAll, type WorkerMessage } from './live-processes.js';
import type { StoreDescription } from './live-stores.js';

const leaderWorkerScript = fileURLToPath(new URL('../workers/leader-worker.ts', import.meta.url));

/** How long a worker may take to start and open its store on a busy machine. */
const START_TIMEOUT_MS = 60_000;

/** A message stamped with a term and a time on the machine's monotonic clock. */
export type TermMessage = WorkerMessage & { readonly term: number; readonly at: number };

interface Slot {
  readonly letter: string;
  readonly generation: number;
  readonly node: string;
  readonly worker: LiveWorker;
}

export interface LeaderPoolSettings {
  readonly store: StoreDescription;
  readonly lease: string;
  readonly stream: string;
  readonly heartbeatMs: number;
}

export class LeaderPool {
  readonly #settings: LeaderPoolSettings;
  readonly #slots: Slot[] = [];
  /** Every worker ever started, so that `stop` leaves none behind, even after a failed start. */
  readonly #started: LiveWorker[] = [];

  constructor(settings: LeaderPoolSettings) {
    this.#settings = settings;
  }

  /** Starts `count` workers at once; resolves when every one campaigns. */
  async start(count: number): Promise<void> {
    const letters = [...'abcdefghij'.slice(0, count)];
    this.#slots.push(...(await Promise.all(letters.map((letter) => this.#spawn(letter, 1)))));
  }

  /** The worker whose process writes as `node`. */
  workerOf(node: string): LiveWorker {
    return this.#slots[this.#indexOf(node)]!.worker;
  }

  /** `kill -9` of the process writing as `node`; `replace` starts its successor in the slot. */
  async kill(node: string): Promise<{ replace: () => Promise<void> }> {
    const index = this.#indexOf(node);
    const slot = this.#slots[index]!;
    await slot.worker.kill();
    return {
      replace: async () => {
        this.#slots[index] = await this.#spawn(slot.letter, slot.generation + 1);
      },
    };
  }

  async stop(): Promise<void> {
    await stopAll(this.#started);
  }

  #indexOf(node: string): number {
    const index = this.#slots.findIndex((slot) => slot.node === node);
    if (index < 0) throw new Error(`no live worker writes as ${node}`);
    return index;
  }

  async #spawn(letter: string, generation: number): Promise<Slot> {
    const node = `${letter}${generation}`;
    const config: LeaderWorkerConfig = { ...this.#settings, node };
    const worker = new LiveWorker(`leader worker ${node}`, config, { script: leaderWorkerScript });
    this.#started.push(worker);
    await worker.next('campaigning', START_TIMEOUT_MS);
    await worker.checkSharedClock();
    return { letter, generation, node, worker };
  }
}

/** The worker's message of `type` for `term`, skipping those of earlier terms. */
export async function messageForTerm(worker: LiveWorker, type: string, term: number): Promise<TermMessage> {
  for (;;) {
    const message = await worker.next<TermMessage>(type, 15_000);
    if (message.term === term) return message;
    if (message.term > term)
      throw new Error(`${worker.name} said "${type}" for term ${message.term}, not ${term}`);
  }
}
