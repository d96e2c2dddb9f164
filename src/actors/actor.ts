/**
 * `Actor`: the serial kind. `Fire` applies the event at once (a handler that refuses it throws, and
 * nothing is stored), then appends in firing order, expecting the version the actor has. It does
 * not listen: others' events reach it at `Load()`, or when its own append meets them — then it
 * reads them, re-applies its pending events on top (refusing any its handler now rejects) and
 * appends again, so a stream never holds an event its own handler refuses, even when several
 * writers share it.
 */
import type { Container } from '../container.js';
import type { EventMap } from '../events/envelope.js';
import { ActorCore } from './actor-core.js';
import { ActorSnapshots } from './actor-snapshots.js';
import { appendPending } from './append-pending.js';
import { registerLibraryClass } from './handlers.js';
import type { ActorMachinery, FiredEvent, KindPolicy } from './kind-policy.js';
import { OptimisticState } from './optimistic-state.js';

export class Actor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  constructor(id: string, container: Container) {
    super(id, container, (machinery) => new SerialPolicy(machinery));
  }
}

class SerialPolicy implements KindPolicy {
  readonly #machinery: ActorMachinery;
  readonly #local: OptimisticState;
  readonly #snapshots: ActorSnapshots;

  constructor(machinery: ActorMachinery) {
    this.#machinery = machinery;
    const snapshots = new ActorSnapshots(machinery);
    this.#snapshots = snapshots;
    this.#local = new OptimisticState(machinery, (events, pending) => snapshots.confirmed(events, pending));
  }

  fired(fired: FiredEvent, rerunnable: boolean): void {
    this.#local.applyFired(fired, rerunnable);
  }

  async appendFired(batch: FiredEvent[]): Promise<void> {
    await appendPending(this.#machinery, this.#local, batch, () => this.#local.readStored());
  }

  async catchUp(): Promise<void> {
    await this.#snapshots.restore(() => this.#local.pendingCount === 0);
    await this.#local.readStored();
  }

  async afterLoad(): Promise<void> {}

  async dispose(): Promise<void> {}
}

registerLibraryClass(Actor);
