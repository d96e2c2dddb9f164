/**
 * Group commit: the appends a process makes at the same time share one call of the append
 * function, so one round trip and one commit (one WAL flush) serve them all.
 *
 * A flusher waits one turn of the event loop, so that every append made meanwhile (including
 * the next appends of the callers the last group just answered) can join, then takes the queued
 * appends in arrival order, any streams, several for one stream, and sends them as one call.
 *
 * Pipelining: the function tells the process, with a NOTICE, the moment its transaction holds the
 * position lock L (`append-function.ts`). From then on, every later transaction that draws
 * positions draws them above this group's, so the next group can be sent at once, on another
 * connection: it takes its stream locks and makes its checks while the previous group writes and
 * commits, then waits for L. Two server backends share the work, and positions still follow the
 * order in which the groups were sent. A group is sent only once every group in flight has
 * signalled L (or been answered), so at most one group waits for L at a time.
 *
 * Guarantees:
 * - Appends leave a process in the order they were made: a group is a prefix of the queue; a group
 *   is sent only after the one before it holds L; and callers are answered group after group. So
 *   appends of a process take positions in the order they were made, unless a group fails after it
 *   took L (its transaction rolled back, the connection lost) and is sent again: the groups sent
 *   meanwhile, which share none of its streams, then commit before it.
 * - Two appends of one stream are never in flight at once: a group stops before the first append
 *   whose stream (or one of whose ids) a group in flight holds, and waits for that group's answer.
 *   So the appends of one stream are judged and stored in the order they were made, always.
 * - Each caller gets its own answer: one append's conflict, fence or duplicate is its own
 *   rejection and does not fail the others of its group (the function answers per append).
 * - A group is one transaction: after any failure, nothing of it is stored. When the server
 *   cannot be reached or rolls the group back, the group is sent again (see `Database.run`); its
 *   events keep their ids, so an append that did commit before its answer was lost is answered as
 *   a retry, with its stored events, and is never stored twice.
 * - A unique violation means another transaction stored one of the group's ids between the
 *   function's checks and its insert (an id reused across processes at the same moment). That
 *   transaction has committed by then, so the group is sent again and the checks see it; if the
 *   violation persists, the group is split to find the append it belongs to, which alone is
 *   refused (`DuplicateEventError` for an id, `ConcurrencyError` otherwise).
 * - Two appends with an event id in common never share a group: the second waits for the next,
 *   so the function never has to compare a group with itself.
 */
import { ConcurrencyError, DuplicateEventError, FencedError, StoreUnavailableError } from '../../errors.js';
import type { ExpectedVersion } from '../../errors.js';
import type { PreparedEvent } from '../append-rules.js';
import { AppendStatus } from './append-function.js';
import { constraintOf, isUniqueViolation } from './postgres-errors.js';

/** One caller's append, checked and encoded, waiting for its group. */
export interface PendingAppend {
  readonly stream: string;
  readonly events: readonly PreparedEvent[];
  readonly expected: ExpectedVersion;
  readonly fencingTerm: number | undefined;
}

/** What an accepted append learns from the function. */
export type AppendAnswer =
  | {
      readonly kind: 'stored';
      /** The stream's version after the append. */
      readonly version: number;
      /** The position of its first event; `undefined` for an append of no events. */
      readonly firstPosition: number | undefined;
    }
  | {
      /** A retry of a stored batch, whose first event has this version. */
      readonly kind: 'retried';
      readonly firstVersion: number;
    };

/** The function's answer for one append: `[status, value, first position, duplicate id]`. */
export type RawAnswer = readonly [number, number | null, number | null, string | null];

export interface GroupCommitOptions {
  /**
   * Calls the append function with a group; rejects with the store's typed errors. Calls
   * `holdsPositionLock` when the server says the group's transaction holds L (it may never say so).
   * `pipelining` says whether other appends are waiting or in flight: when none are, the server
   * need not say it, which costs a write to the socket.
   */
  readonly send: (
    group: readonly PendingAppend[],
    holdsPositionLock: () => void,
    pipelining: boolean,
  ) => Promise<readonly RawAnswer[]>;
  /** The stream's current version, for a conflict found by the unique index rather than the checks. */
  readonly currentVersion: (stream: string) => Promise<number>;
}

/** The most appends, events, streams and characters of data one call carries. */
const MAX_GROUP_APPENDS = 1000;
const MAX_GROUP_EVENTS = 10_000;
/** Each stream of a group holds an advisory lock until commit; the server's lock table is finite. */
const MAX_GROUP_STREAMS = 200;
const MAX_GROUP_CHARACTERS = 4 * 1024 * 1024;
/** How many times a group that hit a unique violation is sent again before it is split. */
const MAX_RACE_ATTEMPTS = 3;

interface Queued {
  readonly append: PendingAppend;
  readonly characters: number;
  readonly resolve: (answer: AppendAnswer) => void;
  readonly reject: (error: unknown) => void;
}

/** A group sent and not yet answered. */
interface Flight {
  readonly streams: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
  /** Its transaction holds L: a group sent from now on draws its positions after it. */
  locked: boolean;
  /** Settles once its callers have been answered. */
  readonly answered: Promise<void>;
}

export class GroupCommit {
  readonly #options: GroupCommitOptions;
  #queue: Queued[] = [];
  readonly #flights: Flight[] = [];
  /** A flush is due at the next turn of the event loop. */
  #flushDue = false;
  /** Settles once the queue is empty and no group is in flight. */
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  append(append: PendingAppend): Promise<AppendAnswer> {
    let characters = 0;
    for (const event of append.events) characters += event.dataJson.length + event.metaJson.length;
    return new Promise<AppendAnswer>((resolve, reject) => {
      this.#queue.push({ append, characters, resolve, reject });
      this.#flushSoon();
    });
  }

  /** Sends what can go after one turn of the event loop, so that the appends made meanwhile join. */
  #flushSoon(): void {
    if (this.#flushDue) return;
    this.#flushDue = true;
    setImmediate(() => {
      this.#flushDue = false;
      this.#sendWhatCan();
    });
  }

  /** Resolves once every append queued so far has its answer. */
  async idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#flights.length === 0) return;
    if (this.#idle === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((done) => (resolve = done));
      this.#idle = { promise, resolve };
    }
    await this.#idle.promise;
  }

  /** Sends the next group while one can go: every group in flight holds L, or none is in flight. */
  #sendWhatCan(): void {
    while (this.#queue.length > 0 && !this.#flushDue && this.#flights.every((flight) => flight.locked)) {
      const group = this.#takeGroup();
      if (group.length === 0) return;
      this.#send(group);
    }
    if (this.#queue.length === 0 && this.#flights.length === 0 && this.#idle !== undefined) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  }

  #send(group: Queued[]): void {
    const previous = this.#flights.at(-1)?.answered;
    // A lone append with nothing else waiting or in flight (one writer) has no one to let go early.
    const pipelining = this.#queue.length > 0 || this.#flights.length > 0;
    const streams = new Set<string>();
    const ids = new Set<string>();
    for (const { append } of group) {
      streams.add(append.stream);
      for (const event of append.events) ids.add(event.id);
    }
    let answered = () => {};
    const flight: Flight = {
      streams,
      ids,
      locked: false,
      answered: new Promise<void>((resolve) => (answered = resolve)),
    };
    this.#flights.push(flight);
    const holdsPositionLock = () => {
      if (flight.locked) return;
      flight.locked = true;
      // A notice arrives in the connection's data handler: the next group goes from a fresh stack.
      queueMicrotask(() => this.#sendWhatCan());
    };
    void this.#sendResolvingRaces(
      group.map((queued) => queued.append),
      holdsPositionLock,
      pipelining,
    )
      .catch((error: unknown) => group.map(() => asError(error)))
      .then(async (answers) => {
        // Callers hear in the order they called: after the callers of the group sent before.
        await previous;
        group.forEach((queued, index) => {
          const answer = answers[index];
          if (answer instanceof Error) queued.reject(answer);
          else if (answer === undefined) queued.reject(missingAnswer());
          else queued.resolve(answer);
        });
      })
      .finally(() => {
        this.#flights.splice(this.#flights.indexOf(flight), 1);
        answered();
        // The callers just answered may append again at once: they join the next group.
        if (this.#queue.length > 0) this.#flushSoon();
        else this.#sendWhatCan();
      });
  }

  /**
   * The next group: the longest prefix of the queue within the limits, with no id twice, and none
   * of whose appends has a stream or an id that a group in flight holds. Empty when the first
   * queued append must wait for a group in flight.
   */
  #takeGroup(): Queued[] {
    const streams = new Set<string>();
    const ids = new Set<string>();
    let events = 0;
    let characters = 0;
    let end = 0;
    for (; end < this.#queue.length; end++) {
      const { append, characters: size } = this.#queue[end] as Queued;
      if (this.#flights.length > 0 && this.#clashesWithFlight(append)) break;
      if (end > 0) {
        if (
          end >= MAX_GROUP_APPENDS ||
          events + append.events.length > MAX_GROUP_EVENTS ||
          characters + size > MAX_GROUP_CHARACTERS ||
          (!streams.has(append.stream) && streams.size >= MAX_GROUP_STREAMS) ||
          append.events.some((event) => ids.has(event.id))
        ) {
          break;
        }
      }
      streams.add(append.stream);
      for (const event of append.events) ids.add(event.id);
      events += append.events.length;
      characters += size;
    }
    return this.#queue.splice(0, end);
  }

  #clashesWithFlight(append: PendingAppend): boolean {
    return this.#flights.some(
      (flight) =>
        flight.streams.has(append.stream) || append.events.some((event) => flight.ids.has(event.id)),
    );
  }

  /** One answer or error per append of `group`, in order. */
  async #sendResolvingRaces(
    group: readonly PendingAppend[],
    holdsPositionLock: () => void,
    pipelining: boolean,
  ): Promise<(AppendAnswer | Error)[]> {
    for (let attempt = 1; ; attempt++) {
      let raw: readonly RawAnswer[];
      try {
        raw = await this.#options.send(group, holdsPositionLock, pipelining);
      } catch (error) {
        if (!isUniqueViolation(causeOf(error))) return group.map(() => asError(error));
        if (attempt < MAX_RACE_ATTEMPTS) continue;
        if (group.length > 1) {
          const answers: (AppendAnswer | Error)[] = [];
          for (const append of group) {
            answers.push(...(await this.#sendResolvingRaces([append], holdsPositionLock, pipelining)));
          }
          return answers;
        }
        return [await this.#refusalForViolation(group[0] as PendingAppend, causeOf(error))];
      }
      if (raw.length !== group.length) return group.map(() => missingAnswer());
      return group.map((append, index) => answerOf(append, raw[index] as RawAnswer));
    }
  }

  async #refusalForViolation(append: PendingAppend, violation: unknown): Promise<Error> {
    if (constraintOf(violation) === 'events_id_key') {
      const detail = (violation as { detail?: unknown }).detail;
      const id =
        typeof detail === 'string' ? /^Key \(id\)=\((.*)\) already exists\.$/s.exec(detail)?.[1] : undefined;
      return new DuplicateEventError(id ?? append.events[0]?.id ?? '', append.stream);
    }
    try {
      return new ConcurrencyError(
        append.stream,
        append.expected,
        await this.#options.currentVersion(append.stream),
      );
    } catch (error) {
      return asError(error);
    }
  }
}

function answerOf(
  append: PendingAppend,
  [status, value, firstPosition, duplicate]: RawAnswer,
): AppendAnswer | Error {
  switch (status) {
    case AppendStatus.stored:
      return { kind: 'stored', version: value ?? 0, firstPosition: firstPosition ?? undefined };
    case AppendStatus.retried:
      return { kind: 'retried', firstVersion: value ?? 1 };
    case AppendStatus.conflict:
      return new ConcurrencyError(append.stream, append.expected, value ?? 0);
    case AppendStatus.fenced:
      return new FencedError(append.stream, append.fencingTerm ?? 0, value ?? 0);
    case AppendStatus.duplicate:
      return new DuplicateEventError(duplicate ?? '', append.stream);
    default:
      return new StoreUnavailableError(`the append function answered an unknown status ${String(status)}`);
  }
}

function causeOf(error: unknown): unknown {
  return error instanceof StoreUnavailableError && error.cause !== undefined ? error.cause : error;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new StoreUnavailableError(String(error));
}

function missingAnswer(): Error {
  return new StoreUnavailableError('the append function answered fewer appends than it was sent');
}
