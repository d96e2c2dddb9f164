/**
 * The parent's view of the leaders' stream, through its own connection to the store: when it first
 * heard an event of each term (on the machine's monotonic clock, at the moment the subscription
 * delivered it), and, at the end of a run, the check of the whole stored stream.
 *
 * The time an event is heard is an upper bound on when it was stored: it adds the store's
 * notification path (a poll of the file on SQLite, which the parent runs every millisecond, or
 * NOTIFY on PostgreSQL). The benchmark reports that part separately, from the writer's own stamp.
 */
import type { EventStore, StoredEvent, Subscription } from '../../src/index.js';
import { machineMillis } from './live-actors.js';

/** The data of every event a leaders worker appends (`led` while leading, `handover` when leaving). */
export interface LedData {
  readonly node: string;
  readonly term: number;
  /** `machineMillis()` on the writer just before the append. */
  readonly sentAt: number;
}

export interface HeardTerm {
  readonly term: number;
  readonly node: string;
  /** `machineMillis()` when the parent's subscription delivered the term's first event. */
  readonly heardAt: number;
}

export class TermWatch {
  readonly #store: EventStore;
  readonly #stream: string;
  readonly #heard = new Map<number, HeardTerm>();
  readonly #waiters = new Set<() => void>();
  #subscription: Subscription | undefined;
  #failure: unknown;

  private constructor(store: EventStore, stream: string) {
    this.#store = store;
    this.#stream = stream;
  }

  static async start(store: EventStore, stream: string): Promise<TermWatch> {
    const watch = new TermWatch(store, stream);
    watch.#subscription = await store.subscribe((notifications) => {
      const heardAt = machineMillis();
      for (const notification of notifications) {
        if (notification.stream !== stream) continue;
        if (notification.event !== undefined) watch.#note(notification.event, heardAt);
        else watch.#readThenNote(notification.version, heardAt);
      }
    });
    return watch;
  }

  /** The highest term heard so far, with its writer; `undefined` before any. */
  get latest(): HeardTerm | undefined {
    let latest: HeardTerm | undefined;
    for (const heard of this.#heard.values())
      if (latest === undefined || heard.term > latest.term) latest = heard;
    return latest;
  }

  /** The first term above `term` to be heard, once it is; rejects after `timeoutMs`. */
  async firstAbove(term: number, timeoutMs: number): Promise<HeardTerm> {
    const deadline = machineMillis() + timeoutMs;
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const found = [...this.#heard.values()]
        .filter((heard) => heard.term > term)
        .sort((a, b) => a.heardAt - b.heardAt)[0];
      if (found !== undefined) return found;
      const left = deadline - machineMillis();
      if (left <= 0) throw new Error(`no event of a term above ${term} within ${timeoutMs} ms`);
      // Woken by the next term heard, or by the deadline, whichever comes first.
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

  async close(): Promise<void> {
    await this.#subscription?.close();
  }

  #note(event: StoredEvent, heardAt: number): void {
    const { term, node } = event.data as unknown as LedData;
    if (this.#heard.has(term)) return;
    this.#heard.set(term, { term, node, heardAt });
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** A notification too large to carry its event: the event is read, the time is the notification's. */
  #readThenNote(version: number, heardAt: number): void {
    this.#store
      .readStream(this.#stream, { fromVersion: version, toVersion: version })
      .then((events) => events.forEach((event) => this.#note(event, heardAt)))
      .catch((error: unknown) => {
        this.#failure = error;
      });
  }
}

/** What the checker found in the stored stream. */
export interface TermCheck {
  readonly events: number;
  readonly terms: number;
  /** Empty when terms never went back and no term had two writers. */
  readonly problems: readonly string[];
}

/** Terms never go back along the stream, and each term was written by one process only. */
export function checkTerms(stored: readonly StoredEvent[]): TermCheck {
  const writerOfTerm = new Map<number, string>();
  const problems: string[] = [];
  let previous = 0;
  for (const event of stored) {
    const { node, term } = event.data as unknown as LedData;
    if (term < previous) problems.push(`version ${event.version}: term ${term} after term ${previous}`);
    previous = Math.max(previous, term);
    const writer = writerOfTerm.get(term);
    if (writer !== undefined && writer !== node) {
      problems.push(`term ${term} written by ${writer} and by ${node} (version ${event.version})`);
    }
    writerOfTerm.set(term, writer ?? node);
  }
  return { events: stored.length, terms: writerOfTerm.size, problems };
}
