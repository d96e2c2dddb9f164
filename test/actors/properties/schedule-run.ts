/**
 * Plays one schedule against real actors on a memory store seen through a `FaultyStore`, lets
 * everything settle on a healthy store, and returns what the invariants need: the fire log, the
 * actors, and what became of each `Flush`, `Dispose` and `Load`.
 *
 * Promises are never awaited directly while the store's tasks wait for the scheduler (that would
 * deadlock): "awaited" means `scheduler.waitFor(promise)`, which runs the store's tasks, in the
 * scheduler's order, until the promise settles.
 */
import type * as fc from 'fast-check';
import { createContainer, memoryStore, type EventStore, type Logger } from 'omniscient-actors';
import { DEFAULT_GAP_WAIT_MS } from '../../../src/live/live-feed.js';
import { FireLog, Ledger, LiveAccount, type AccountState, type FireRecord } from './account-model.js';
import { FaultyStore } from './faulty-store.js';
import { describeStep, slotName, type Command, type Plan, type Step } from './schedule.js';

export type ActorKind = 'live' | 'serial';

export const STREAM = 'account';

/** One actor object: a slot's first, or one that replaced a disposed one. */
export interface Instance {
  readonly name: string;
  readonly actor: LiveAccount | Ledger;
  disposed: boolean;
  /** State and version when its `Dispose()` resolved: a disposed actor applies nothing more. */
  atDispose?: { version: number; state: string };
  loadsSucceeded: number;
}

export interface RunResult {
  readonly store: EventStore;
  readonly faulty: FaultyStore;
  readonly fireLog: FireLog;
  readonly instances: readonly Instance[];
  /** Broken promises found while the schedule ran (a Flush that did not wait, …). */
  readonly violations: string[];
  /** What the run did, in order, for the failure message. */
  readonly trace: string[];
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class ScheduleRun {
  readonly store = memoryStore();
  readonly faulty: FaultyStore;
  readonly fireLog = new FireLog();
  readonly instances: Instance[] = [];
  readonly violations: string[] = [];
  readonly trace: string[] = [];
  readonly #scheduler: fc.Scheduler;
  readonly #kind: ActorKind;
  readonly #slots: (Instance | undefined)[] = [];
  readonly #generations = new Map<number, number>();
  readonly #inFlight: Promise<unknown>[] = [];
  #processes: readonly number[] = [];
  /** Per process, its own view of the faulty store (see `connectionTo`). */
  readonly #connections = new Map<number, EventStore>();

  constructor(kind: ActorKind, scheduler: fc.Scheduler) {
    this.#kind = kind;
    this.#scheduler = scheduler;
    this.faulty = new FaultyStore(this.store, scheduler);
  }

  async play(plan: Plan): Promise<RunResult> {
    this.#processes = plan.processes;
    for (const [index, amount] of plan.seed.entries()) {
      await this.store.appendToStream(STREAM, [
        { id: `seed.${index + 1}`, name: 'deposited', data: { amount } },
      ]);
    }
    for (let slot = 0; slot < plan.slots; slot++) await this.#step({ type: 'load', slot, awaited: true });
    for (const step of plan.steps) await this.#step(step);
    await this.#settle();
    return this;
  }

  /** `Load()`s every actor still held (a serial actor catches up only then); resolves to those that loaded. */
  async loadHeld(): Promise<Instance[]> {
    const held = this.instances.filter((instance) => !instance.disposed);
    const loaded = await this.#scheduler.waitFor(Promise.all(held.map((instance) => this.#load(instance))));
    return held.filter((_, index) => loaded[index]);
  }

  /** Disposes every actor still held, once the invariants on live actors were checked. */
  async disposeAll(): Promise<void> {
    const disposing = this.instances
      .filter((instance) => !instance.disposed)
      .map((instance) => this.#dispose(instance));
    await this.#scheduler.waitFor(Promise.allSettled(disposing));
    await this.#scheduler.waitIdle();
  }

  async #step(step: Step): Promise<void> {
    this.trace.push(describeStep(step));
    if (step.type === 'fault') return this.faulty.arm(step.fault);
    if (step.type === 'run') return this.#scheduler.waitNext(Math.min(step.tasks, this.#scheduler.count()));
    let instance = this.#slots[step.slot];
    if (step.type === 'load' && (instance === undefined || instance.disposed)) {
      instance = this.#newInstance(step.slot);
    }
    if (instance === undefined || instance.disposed) {
      this.trace.push(`  (skipped: ${slotName(step.slot)} is disposed)`);
      return;
    }
    const promises = this.#start(step, instance);
    this.#inFlight.push(...promises);
    if (step.awaited) await this.#scheduler.waitFor(Promise.allSettled(promises));
  }

  #start(step: Exclude<Step, { type: 'fault' | 'run' }>, instance: Instance): Promise<unknown>[] {
    switch (step.type) {
      case 'command':
        return this.fireLog.collect(() => this.#invoke(instance.actor, step.command));
      case 'flush':
        return [this.#flush(instance)];
      case 'dispose':
        return [this.#dispose(instance)];
      case 'load':
        return [this.#load(instance)];
    }
  }

  #newInstance(slot: number): Instance {
    const generation = (this.#generations.get(slot) ?? 0) + 1;
    this.#generations.set(slot, generation);
    const name = generation === 1 ? slotName(slot) : `${slotName(slot)}${generation}`;
    const process = this.#processes[slot] ?? 0;
    let store = this.#connections.get(process);
    if (store === undefined) {
      store = connectionTo(this.faulty);
      this.#connections.set(process, store);
    }
    const container = createContainer({
      store,
      newId: this.fireLog.newIdFor(name),
      logger: silentLogger,
      onError: () => undefined,
      fireLog: this.fireLog,
      instance: name,
    });
    const actor = this.#kind === 'live' ? new LiveAccount(STREAM, container) : new Ledger(STREAM, container);
    const instance: Instance = { name, actor, disposed: false, loadsSucceeded: 0 };
    this.#slots[slot] = instance;
    this.instances.push(instance);
    this.trace.push(`  (${name} is a new actor, in process ${process})`);
    return instance;
  }

  #invoke(actor: LiveAccount | Ledger, command: Command): unknown {
    const [first = 1, second = 1] = command.amounts;
    switch (command.name) {
      case 'Deposit':
        return actor.Deposit(first);
      case 'Count':
        return actor.Count();
      case 'DepositThenChangeData':
        return actor.DepositThenChangeData(first, second);
      case 'Withdraw':
        return actor.Withdraw(first);
      case 'Overdraw':
        return actor.Overdraw();
      case 'WithdrawIfStillCovered':
        return (actor as LiveAccount).WithdrawIfStillCovered(first);
    }
  }

  /** Resolves either way: a failed `Load` leaves the actor unloaded, which the invariants allow for. */
  #load(instance: Instance): Promise<boolean> {
    return instance.actor.Load().then(
      () => {
        instance.loadsSucceeded++;
        return true;
      },
      () => false,
    );
  }

  /** `Flush` waits until every event fired before it is stored (or failed). */
  #flush(instance: Instance): Promise<unknown> {
    const firedBefore = this.#unsettledFires(instance);
    const check = () => this.#checkSettled(instance, 'Flush()', firedBefore);
    return instance.actor.Flush().then(check, check);
  }

  /** `Dispose` waits like `Flush`, and after it the actor applies nothing more. */
  #dispose(instance: Instance): Promise<unknown> {
    instance.disposed = true;
    const firedBefore = this.#unsettledFires(instance);
    const done = () => {
      this.#checkSettled(instance, 'Dispose()', firedBefore);
      const { version, state } = instance.actor;
      instance.atDispose = { version, state: JSON.stringify(state) };
    };
    return instance.actor.Dispose().then(done, done);
  }

  #unsettledFires(instance: Instance): FireRecord[] {
    return this.fireLog.firedBy(instance.name).filter((record) => record.outcome === 'pending');
  }

  #checkSettled(instance: Instance, operation: string, firedBefore: readonly FireRecord[]): void {
    const pending = firedBefore.filter((record) => record.outcome === 'pending');
    if (pending.length > 0) {
      this.violations.push(
        `${instance.name}.${operation} settled while Fire ${pending.map((record) => record.id).join(', ')} (fired before it) was still pending`,
      );
    }
  }

  /**
   * The store turns healthy; every promise of the schedule settles, every actor still held is
   * flushed, and the store's tasks run until none is left even after the live feed's gap timer.
   */
  async #settle(): Promise<void> {
    this.trace.push('(the store is healthy from now on; everything settles)');
    this.faulty.disarm();
    await this.#scheduler.waitFor(Promise.allSettled(this.#inFlight));
    const held = this.instances.filter((instance) => !instance.disposed);
    await this.#scheduler.waitFor(Promise.allSettled(held.map((instance) => this.#flush(instance))));
    await this.#scheduler.waitIdle();
  }

  /**
   * Waits for the live feed's own timer (a gap in the notifications is read from the store after
   * it) and runs whatever that started; true when something did run.
   */
  async quietPeriod(): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 2 * DEFAULT_GAP_WAIT_MS));
    const ran = this.#scheduler.count() > 0;
    await this.#scheduler.waitIdle();
    return ran;
  }
}

export function stateText(state: Readonly<AccountState>): string {
  return JSON.stringify(state);
}

/**
 * Another process's connection to the same store: the same calls, but another store object, so
 * that what a process keeps per store (its live feed, its turns at appending) is its own.
 */
function connectionTo(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
