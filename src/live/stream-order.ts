/**
 * The ordering buffer of one stream for one consumer: events go in in whatever order they arrive,
 * and come out in version order, each once. An event that arrives early waits until the versions
 * before it have come; one that was already delivered is dropped. It is the one place that knows
 * events may arrive out of order.
 */
import type { StoredEvent } from '../events/envelope.js';

export class StreamOrder {
  /** The next version to deliver. */
  #next: number;
  readonly #early = new Map<number, StoredEvent>();

  constructor(nextVersion: number) {
    this.#next = nextVersion;
  }

  get nextVersion(): number {
    return this.#next;
  }

  /** The versions missing before the earliest early event, if any is waiting. */
  get gap(): { readonly fromVersion: number; readonly toVersion: number } | undefined {
    if (this.#early.size === 0) return undefined;
    let lowest = Infinity;
    for (const version of this.#early.keys()) if (version < lowest) lowest = version;
    return { fromVersion: this.#next, toVersion: lowest - 1 };
  }

  /** Takes events in any order; returns those now deliverable, in version order. */
  offer(events: Iterable<StoredEvent>): StoredEvent[] {
    for (const event of events) {
      if (event.version >= this.#next && !this.#early.has(event.version))
        this.#early.set(event.version, event);
    }
    const ready: StoredEvent[] = [];
    for (let event = this.#early.get(this.#next); event !== undefined; event = this.#early.get(this.#next)) {
      this.#early.delete(this.#next);
      ready.push(event);
      this.#next++;
    }
    return ready;
  }

  /** Moves the next version forward (the consumer learnt of later versions by itself); drops what is behind. */
  skipTo(nextVersion: number): void {
    if (nextVersion <= this.#next) return;
    this.#next = nextVersion;
    for (const version of this.#early.keys()) if (version < nextVersion) this.#early.delete(version);
  }
}
