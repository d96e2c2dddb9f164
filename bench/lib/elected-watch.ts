/**
 * The parent's view of one elected actor id, through its own connection to the store: every event
 * of the actor's stream and every record of its request stream (`$requests:<id>`: requests,
 * `elected`, `handover`, `refused`), each stamped when the parent's subscription delivered it, on
 * the machine's monotonic clock (`machineMillis()`) and on the wall clock (`Date.now()`, to compare
 * with the store-clock times a tick carries; the store runs on this machine).
 *
 * A time heard is an upper bound on when the event was stored: it adds the store's notification
 * path (the parent's 1 ms poll of the file on SQLite, NOTIFY on PostgreSQL). Which leader stored an
 * event is told from positions: a new leader's `elected` record is appended under its term before
 * it serves anything, and an earlier leader's appends are refused (fenced) from the moment the new
 * term exists, so every event of the actor's stream at a higher position than that record is the
 * new leader's.
 */
import type { EventStore, StoredEvent, Subscription } from '../../src/index.js';
import { machineMillis } from './live-actors.js';

export const REQUEST_STREAM_PREFIX = '$requests:';

export interface Heard {
  readonly event: StoredEvent;
  /** `machineMillis()` when the parent's subscription delivered it. */
  readonly heardAt: number;
  /** `Date.now()` at the same moment. */
  readonly heardWallAt: number;
}

export class ElectedWatch {
  readonly #store: EventStore;
  readonly #id: string;
  readonly #requestStream: string;
  /** The actor's events, in the order heard. */
  readonly events: Heard[] = [];
  /** The request stream's records, in the order heard. */
  readonly records: Heard[] = [];
  readonly #waiters = new Set<() => void>();
  #subscription: Subscription | undefined;
  #failure: unknown;

  private constructor(store: EventStore, id: string) {
    this.#store = store;
    this.#id = id;
    this.#requestStream = `${REQUEST_STREAM_PREFIX}${id}`;
  }

  static async start(store: EventStore, id: string): Promise<ElectedWatch> {
    const watch = new ElectedWatch(store, id);
    watch.#subscription = await store.subscribe((notifications) => {
      const heardAt = machineMillis();
      const heardWallAt = Date.now();
      for (const notification of notifications) {
        const { stream } = notification;
        if (stream !== watch.#id && stream !== watch.#requestStream) continue;
        if (notification.event !== undefined) watch.#note(notification.event, heardAt, heardWallAt);
        else watch.#readThenNote(stream, notification.version, heardAt, heardWallAt);
      }
    });
    return watch;
  }

  /** The term of the latest `elected` record heard; 0 before any. */
  get term(): number {
    let term = 0;
    for (const heard of this.records) {
      if (heard.event.name === 'elected') term = Math.max(term, termOf(heard.event));
    }
    return term;
  }

  /** The first actor event or request record for which `matches` holds, once heard; rejects after `timeoutMs`. */
  async first(
    where: 'events' | 'records',
    matches: (heard: Heard) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Heard> {
    const deadline = machineMillis() + timeoutMs;
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const found = this[where].find(matches);
      if (found !== undefined) return found;
      const left = deadline - machineMillis();
      if (left <= 0) throw new Error(`no ${what} heard within ${timeoutMs} ms`);
      // Woken by the next event heard, or by the deadline, whichever comes first.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#waiters.add(done);
      });
    }
  }

  /** The successor's `elected` record (a term above `term`), then its first event of the actor's stream. */
  async successorAbove(term: number, timeoutMs: number): Promise<{ elected: Heard; first: Heard }> {
    const elected = await this.first(
      'records',
      (heard) => heard.event.name === 'elected' && termOf(heard.event) > term,
      timeoutMs,
      `elected record of a term above ${term}`,
    );
    const first = await this.first(
      'events',
      (heard) => heard.event.position > elected.event.position,
      timeoutMs,
      `event stored after the elected record of term ${termOf(elected.event)}`,
    );
    return { elected, first };
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
  }

  #note(event: StoredEvent, heardAt: number, heardWallAt: number): void {
    (event.stream === this.#id ? this.events : this.records).push({ event, heardAt, heardWallAt });
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** A notification too large to carry its event: the event is read, the time is the notification's. */
  #readThenNote(stream: string, version: number, heardAt: number, heardWallAt: number): void {
    this.#store
      .readStream(stream, { fromVersion: version, toVersion: version })
      .then((events) => events.forEach((event) => this.#note(event, heardAt, heardWallAt)))
      .catch((error: unknown) => {
        this.#failure = error;
      });
  }
}

/** The term an `elected` or `handover` record names. */
export function termOf(record: StoredEvent): number {
  return (record.data as { term: number }).term;
}
