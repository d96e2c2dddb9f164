/**
 * A real store seen through an unreliable connection, for the property tests of actors.
 *
 * Every `appendToStream` and `readStream` goes through two tasks of a fast-check scheduler: the
 * request (nothing reaches the store until the scheduler runs it) and the reply (the caller learns
 * the outcome only when the scheduler runs it). Each notification batch is one more task, so the
 * scheduler alone decides the order in which requests land, replies come back and the live feed
 * hears of events: a seed replays the same interleaving.
 *
 * Faults are armed by the schedule and taken, in order, by the next operation of their kind:
 * - an append fails before storing (`StoreUnavailableError`, nothing stored);
 * - an append lands but its reply is lost (`StoreUnavailableError`, the events ARE stored);
 * - a read fails (`StoreUnavailableError`);
 * - a notification batch arrives without its events (as PostgreSQL sends an event too large for
 *   NOTIFY), or arrives twice.
 * Every fault is one the engine contract allows (engine.ts): notifications may come late, out of
 * order, twice or without their event, and a store may become unreachable at any moment. Failures
 * are passing, never an outage: an operation right after a failed one of the same kind (append,
 * read) always gets through, so an actor that tries again once learns the truth (a retried append
 * carries the same ids, and the store answers it as the first one).
 *
 * Guarantees: the wrapped store is never changed by anything but the real calls made through it;
 * no notification is delivered after its subscription's `close()` was called; `openSubscriptions`
 * counts the subscriptions opened and not yet closed.
 */
import * as fc from 'fast-check';
import {
  StoreUnavailableError,
  type AppendOptions,
  type EventNotification,
  type EventStore,
  type NewEvent,
  type NotificationListener,
  type ReadStreamOptions,
  type StoredEvent,
} from 'omniscient-actors';

export type Fault =
  | 'append fails before storing'
  | 'append lands, reply lost'
  | 'read fails'
  | 'notification without its events'
  | 'notification delivered twice';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class FaultyStore implements EventStore {
  readonly engine: string;
  readonly limits: EventStore['limits'];
  readonly #inner: EventStore;
  readonly #scheduler: fc.Scheduler;
  readonly #armed: Fault[] = [];
  /** The kinds of operation whose last call failed by injection: the next one gets through. */
  readonly #justFailed = new Set<'append' | 'read'>();
  #openSubscriptions = 0;

  constructor(inner: EventStore, scheduler: fc.Scheduler) {
    this.#inner = inner;
    this.#scheduler = scheduler;
    this.engine = inner.engine;
    this.limits = inner.limits;
  }

  /** Subscriptions opened through this store and not closed yet. */
  get openSubscriptions(): number {
    return this.#openSubscriptions;
  }

  /** The next operation this fault applies to will suffer it. */
  arm(fault: Fault): void {
    this.#armed.push(fault);
  }

  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): ReturnType<EventStore['appendToStream']> {
    const label = `append ${events.map(describeNew).join(', ')} expecting ${String(options?.expectedVersion ?? 'any')}`;
    return this.#call(label, async () => {
      const fault = this.#failNext('append', ['append fails before storing', 'append lands, reply lost']);
      if (fault === 'append fails before storing') {
        throw new StoreUnavailableError('injected: the append failed before storing');
      }
      const result = await this.#inner.appendToStream(stream, events, options);
      if (fault === 'append lands, reply lost') {
        throw new StoreUnavailableError('injected: the append was stored but its reply was lost');
      }
      return result;
    });
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    const label = `read from v${options?.fromVersion ?? 1}${options?.toVersion === undefined ? '' : ` to v${options.toVersion}`}`;
    return this.#call(label, async () => {
      if (this.#failNext('read', ['read fails'])) {
        throw new StoreUnavailableError('injected: the read failed');
      }
      return this.#inner.readStream(stream, options);
    });
  }

  readAll(...args: Parameters<EventStore['readAll']>): ReturnType<EventStore['readAll']> {
    return this.#inner.readAll(...args);
  }

  streamVersion(stream: string): Promise<number> {
    return this.#inner.streamVersion(stream);
  }

  listStreams(...args: Parameters<EventStore['listStreams']>): ReturnType<EventStore['listStreams']> {
    return this.#inner.listStreams(...args);
  }

  saveSnapshot(...args: Parameters<EventStore['saveSnapshot']>): ReturnType<EventStore['saveSnapshot']> {
    return this.#inner.saveSnapshot(...args);
  }

  readSnapshot(...args: Parameters<EventStore['readSnapshot']>): ReturnType<EventStore['readSnapshot']> {
    return this.#inner.readSnapshot(...args);
  }

  // Leases pass straight through: no actor under these properties uses them.
  acquireLease(...args: Parameters<EventStore['acquireLease']>): ReturnType<EventStore['acquireLease']> {
    return this.#inner.acquireLease(...args);
  }

  takeOverLease(...args: Parameters<EventStore['takeOverLease']>): ReturnType<EventStore['takeOverLease']> {
    return this.#inner.takeOverLease(...args);
  }

  renewLeases(...args: Parameters<EventStore['renewLeases']>): ReturnType<EventStore['renewLeases']> {
    return this.#inner.renewLeases(...args);
  }

  releaseLease(...args: Parameters<EventStore['releaseLease']>): ReturnType<EventStore['releaseLease']> {
    return this.#inner.releaseLease(...args);
  }

  releaseHolder(...args: Parameters<EventStore['releaseHolder']>): ReturnType<EventStore['releaseHolder']> {
    return this.#inner.releaseHolder(...args);
  }

  readLease(...args: Parameters<EventStore['readLease']>): ReturnType<EventStore['readLease']> {
    return this.#inner.readLease(...args);
  }

  async subscribe(
    listener: NotificationListener,
    options?: Parameters<EventStore['subscribe']>[1],
  ): ReturnType<EventStore['subscribe']> {
    let closed = false;
    const deliver = (notifications: readonly EventNotification[]) => {
      if (closed) return;
      try {
        listener(notifications);
      } catch {
        // The contract: a listener that throws does not stop the subscription.
      }
    };
    const inner = await this.#inner.subscribe((notifications) => {
      let batch = notifications;
      if (this.#take('notification without its events')) batch = batch.map(withoutEvent);
      const times = this.#take('notification delivered twice') ? 2 : 1;
      const label = `notify ${batch.map(describeNotification).join(', ')}`;
      for (let time = 0; time < times; time++) {
        void this.#scheduler.schedule(Promise.resolve(), label).then(() => deliver(batch));
      }
    }, options);
    this.#openSubscriptions++;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        this.#openSubscriptions--;
        await inner.close();
      },
    };
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Forgets every armed fault: the store is healthy from now on. */
  disarm(): void {
    this.#armed.length = 0;
  }

  /** The first armed fault of `faults` this operation suffers, unless the last one of its kind failed. */
  #failNext(kind: 'append' | 'read', faults: readonly Fault[]): Fault | undefined {
    if (this.#justFailed.delete(kind)) return undefined;
    const fault = faults.find((each) => this.#take(each));
    if (fault !== undefined) this.#justFailed.add(kind);
    return fault;
  }

  #take(fault: Fault): boolean {
    const index = this.#armed.indexOf(fault);
    if (index === -1) return false;
    this.#armed.splice(index, 1);
    return true;
  }

  /** The request waits for the scheduler, runs, and its outcome waits for the scheduler again. */
  async #call<T>(label: string, work: () => Promise<T>): Promise<T> {
    await this.#scheduler.schedule(Promise.resolve(), `${label}: request`);
    // Settled into a value first: a rejection waiting for its turn must not count as unhandled.
    const outcome = work().then(
      (value): Outcome<T> => readable({ ok: true, value }, describeValue(value)),
      (error: unknown): Outcome<T> => readable({ ok: false, error }, describeError(error)),
    );
    const reply = await this.#scheduler.schedule(outcome, `${label}: reply`);
    if (!reply.ok) throw reply.error;
    return reply.value;
  }
}

/** Gives an outcome a short text for fast-check's report of the scheduler's tasks. */
function readable<T extends object>(value: T, text: string): T {
  return Object.assign(value, { [fc.toStringMethod]: () => text });
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((event: StoredEvent) => `v${event.version}`).join(', ')}]`;
  const events = (value as { events?: readonly StoredEvent[] }).events;
  return events === undefined
    ? 'done'
    : `stored ${events.map((event) => `${event.id}@v${event.version}`).join(', ')}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function withoutEvent(notification: EventNotification): EventNotification {
  const { event: _event, ...announced } = notification;
  return announced;
}

function describeNew(event: NewEvent): string {
  return `${event.id ?? '?'} ${event.name}(${JSON.stringify(event.data ?? null)})`;
}

function describeNotification(notification: EventNotification): string {
  return `v${notification.version}${notification.event === undefined ? ' (announced only)' : ''}`;
}
