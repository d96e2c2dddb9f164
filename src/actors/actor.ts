/**
 * `Actor`: the serial kind. `Fire` applies the event at once (a handler that refuses it throws, and
 * nothing is stored), then appends in firing order with no concurrency protection (expected
 * version `'any'`). Meant for a stream with one writer at a time: several writers never corrupt
 * the stream (the store keeps versions gap-free), but a command decides on the state it has, which
 * may miss others' events until `Load()`; their events are applied before its own once its append
 * shows them.
 */
import type { Container } from '../container.js';
import type { EventMap } from '../events/envelope.js';
import { ActorCore } from './actor-core.js';
import { appendRetryingUnavailable } from './append-retry.js';
import { registerLibraryClass } from './handlers.js';
import { readStreamPages, type ActorMachinery, type FiredEvent, type KindPolicy } from './kind-policy.js';
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

  constructor(machinery: ActorMachinery) {
    this.#machinery = machinery;
    this.#local = new OptimisticState(machinery);
  }

  fired(fired: FiredEvent): void {
    this.#local.applyFired(fired);
  }

  async appendFired(batch: FiredEvent[]): Promise<void> {
    const machinery = this.#machinery;
    let result;
    try {
      result = await appendRetryingUnavailable(machinery, batch, { expectedVersion: 'any' });
    } catch (error) {
      this.#local.drop(batch);
      throw error;
    }
    try {
      // Another writer may have appended since this actor last read: its events come first, so
      // that the state stays the fold of the stream's prefix.
      const first = result.events[0];
      if (first !== undefined && first.version > this.#local.confirmedVersion + 1) {
        await readStreamPages(
          machinery,
          () => this.#local.confirmedVersion + 1,
          (events) => this.#local.acceptStored(events),
          first.version - 1,
        );
      }
      this.#local.acceptStored(result.events);
    } catch (error) {
      // The events are stored, so their Fire promises resolve; applying them failed. The state
      // keeps to the prefix it could apply, and the next Load() carries on from there.
      this.#local.drop(batch);
      machinery.reportFailure(error, 'apply', batch.map((fired) => fired.event.name).join(', '));
    } finally {
      result.events.forEach((stored, index) => batch[index]?.resolve(stored));
    }
  }

  async catchUp(): Promise<void> {
    await readStreamPages(
      this.#machinery,
      () => this.#local.confirmedVersion + 1,
      (events) => this.#local.acceptStored(events),
    );
  }

  async afterLoad(): Promise<void> {}

  async dispose(): Promise<void> {}
}

registerLibraryClass(Actor);
