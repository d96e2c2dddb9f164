/**
 * `LiveActor`: the optimistic kind. `Fire` applies the event to local state at once, then appends
 * it expecting the version the actor last confirmed. When another writer got there first
 * (`ConcurrencyError`), the actor rebases: it reads the winners' events, rebuilds its state as the
 * confirmed events plus the winners plus its own pending events re-applied on top, and appends
 * again, until the events land or the retries run out.
 *
 * Local state is always "confirmed events, then pending local events", so a rebase never leaves a
 * state that no sequence of stored events would produce. To rebuild it, the actor keeps a copy of
 * its confirmed state taken when the first pending event of a burst was fired (`structuredClone`,
 * so state must be structured-cloneable: plain objects, arrays, Maps, Sets, Dates, primitives).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError } from '../errors.js';
import type { EventMap, NewEvent, StoredEvent } from '../events/envelope.js';
import { ActorCore, type FiredEvent } from './actor-core.js';
import { registerLibraryClass } from './handlers.js';

/** Appends tried per batch before the conflict is reported. */
const MAX_APPEND_ATTEMPTS = 12;
/** The longest pause between two attempts; pauses grow from 1 ms with jitter. */
const MAX_BACKOFF_MS = 50;

type PendingEvent = NewEvent & { id: string };

export class LiveActor<
  State extends object = Record<string, any>,
  Events extends EventMap = Record<string, any>,
> extends ActorCore<State, Events> {
  /** The confirmed state when the current burst of pending events began. */
  #base: State | undefined;
  #baseVersion = 0;
  /** Events stored since `#base` was taken: ours that landed and others' that won. */
  #confirmedSinceBase: StoredEvent[] = [];
  /** Events fired and applied locally but not yet stored, in firing order. */
  #pending: PendingEvent[] = [];

  /** The version of the last stored event applied; `version` also counts pending local events. */
  get confirmedVersion(): number {
    return this.#base === undefined ? this.version : this.#baseVersion + this.#confirmedSinceBase.length;
  }

  protected override beforeQueue(event: PendingEvent): void {
    if (this.#pending.length === 0) {
      this.#base = structuredClone(this._state);
      this.#baseVersion = this.version;
      this.#confirmedSinceBase = [];
    }
    this.#pending.push(event);
    try {
      this.applyEvent(this.#provisional(event, this.version + 1));
    } catch (error) {
      // The event was never stored: forget it and rebuild the state its handler may have half-changed.
      this.#pending.pop();
      this.#rebuild();
      throw error;
    }
  }

  protected async appendFired(batch: FiredEvent[]): Promise<void> {
    const events = batch.map((fired) => fired.event);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.container.store.appendToStream(this.id, events, {
          expectedVersion: this.confirmedVersion,
        });
        this.#confirm(result.events);
        result.events.forEach((stored, index) => batch[index]?.resolve(stored));
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_APPEND_ATTEMPTS) {
          this.#forget(events.length);
          throw error;
        }
      }
      const winners = await this.container.store.readStream(this.id, {
        fromVersion: this.confirmedVersion + 1,
      });
      this.#confirmedSinceBase.push(...winners);
      this.#rebuild();
      await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt));
    }
  }

  /** Our first pending events landed as `stored`: they are confirmed now. */
  #confirm(stored: readonly StoredEvent[]): void {
    this.#pending.splice(0, stored.length);
    this.#confirmedSinceBase.push(...stored);
    if (this.#pending.length === 0) {
      this.#base = undefined;
      this.#confirmedSinceBase = [];
    }
  }

  /** Our first `count` pending events will never be stored: drop them from the state. */
  #forget(count: number): void {
    this.#pending.splice(0, count);
    this.#rebuild();
    if (this.#pending.length === 0) {
      this.#base = undefined;
      this.#confirmedSinceBase = [];
    }
  }

  /** State = the confirmed base, then every event confirmed since, then the pending events on top. */
  #rebuild(): void {
    if (this.#base === undefined) return;
    this._state = structuredClone(this.#base);
    this.setVersion(this.#baseVersion);
    for (const event of this.#confirmedSinceBase) this.applyEvent(event);
    for (const event of this.#pending) this.applyEvent(this.#provisional(event, this.version + 1));
  }

  /** A pending event as its handler sees it: what it will be once stored (its position is 0 until then). */
  #provisional(event: PendingEvent, version: number): StoredEvent {
    return {
      id: event.id,
      stream: this.id,
      name: event.name,
      data: event.data === undefined ? null : (JSON.parse(JSON.stringify(event.data)) as unknown),
      version,
      position: 0,
      at: typeof event.at === 'string' ? event.at : (event.at ?? new Date()).toISOString(),
      meta: event.meta ?? {},
    };
  }
}

registerLibraryClass(LiveActor);
