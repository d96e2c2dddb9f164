/**
 * `Actor`: the serial kind. `Fire` appends in order with no concurrency protection (expected
 * version `'any'`), then applies the stored event. Meant for a stream with one writer at a time;
 * several writers never corrupt the stream (the store keeps versions gap-free), but a command
 * decides on the state it has, which may miss others' events until `Load()`.
 */
import type { EventMap } from '../events/envelope.js';
import { ActorCore, type FiredEvent } from './actor-core.js';
import { registerLibraryClass } from './handlers.js';

export class Actor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  protected async appendFired(batch: FiredEvent[]): Promise<void> {
    const result = await this.container.store.appendToStream(
      this.id,
      batch.map((fired) => fired.event),
      { expectedVersion: 'any' },
    );
    try {
      // Another writer may have appended since this actor last read: apply its events first, so
      // that state stays the fold of the stream's prefix.
      const first = result.events[0];
      if (first !== undefined && first.version > this.version + 1) await this.catchUp(first.version - 1);
      for (const stored of result.events) this.applyEvent(stored);
    } catch (error) {
      // The events are stored, so their Fire promises still resolve; applying them failed.
      this.reportFailure(error, 'apply', batch.map((fired) => fired.event.name).join(', '));
    }
    // Resolved once applied, so that code awaiting a Fire sees the state with its event.
    result.events.forEach((stored, index) => batch[index]?.resolve(stored));
  }
}

registerLibraryClass(Actor);
