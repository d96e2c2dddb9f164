/**
 * The snapshots of one actor: taken by its class's policy as its stored version advances, and the
 * newest valid one restored at its first `Load`, so that only the events after it are replayed.
 *
 * Guarantees:
 * - a snapshot covers stored events only: none is taken while a fired event is pending;
 * - the state is encoded at once (it goes on changing) and saved in the background, at most one
 *   save in flight per actor; one taken meanwhile waits, replacing any older one waiting;
 * - taking or saving a snapshot never fails, delays or blocks a `Fire` or a `Load`, and never
 *   reaches `Flush` or the error hook: a failure is logged, at most once per class and reason
 *   (warn; a closed store: debug);
 * - a snapshot is applied only when its fingerprint is the class's, its content decodes, and the
 *   event it ends with is stored at its version, with its id; otherwise, or when it cannot be
 *   read, it is ignored (logged) and the state is rebuilt from every event. So the state a
 *   snapshot yields is always the state a replay of every event yields.
 */
import type { Logger } from '../container.js';
import type { NewSnapshot } from '../engines/engine.js';
import { checkJsonSize } from '../events/json-data.js';
import type { JsonValue, StoredEvent } from '../events/envelope.js';
import { messageOf, StoreUnavailableError } from '../errors.js';
import { fingerprintOf } from '../snapshots/fingerprint.js';
import {
  decodeSnapshotContent,
  encodeSnapshotContent,
  type SnapshotContent,
} from '../snapshots/snapshot-content.js';
import { snapshotSettingsOf } from '../snapshots/snapshot-settings.js';
import { isLibraryClass } from './handlers.js';
import type { ActorMachinery } from './kind-policy.js';

/** What a kind derives from the events besides the state, kept in its snapshots. */
export interface KindMarks {
  /** The marks after the events applied so far, as JSON. */
  save(): JsonValue;
  /** What restores marks read from a snapshot; `undefined` if they are not well formed. */
  restorer(marks: JsonValue | undefined): (() => void) | undefined;
}

type Level = 'debug' | 'warn';

export class ActorSnapshots {
  readonly #machinery: ActorMachinery;
  readonly #marks: KindMarks | undefined;
  readonly #every: number;
  /** The version of the last snapshot this actor took or restored (0: none). */
  #covered = 0;
  #saving = false;
  #waiting: NewSnapshot | undefined;

  constructor(machinery: ActorMachinery, marks?: KindMarks) {
    this.#machinery = machinery;
    this.#marks = marks;
    this.#every = snapshotSettingsOf(machinery.actorClass).every;
  }

  /**
   * The stored version may have advanced: `events` are the ones just stored and applied, `pending`
   * how many fired events are applied on top. Takes a snapshot when the policy says so.
   */
  confirmed(events: readonly StoredEvent[], pending: number): void {
    const machinery = this.#machinery;
    const version = machinery.version();
    if (this.#every === 0 || pending > 0 || version - this.#covered < this.#every) return;
    let last: StoredEvent | undefined;
    for (let index = events.length - 1; index >= 0 && last === undefined; index--) {
      if (events[index]?.version === version) last = events[index];
    }
    // The event the state ends with is not among these: the next advance takes the snapshot.
    if (last === undefined) return;
    // Taken, whatever becomes of it: a state that cannot be saved is tried again `every` events on.
    this.#covered = version;
    const snapshot = this.#take(last);
    if (snapshot === undefined) return;
    if (this.#saving) this.#waiting = snapshot;
    else this.#save(snapshot);
  }

  /**
   * At a first `Load` (nothing applied): applies the newest valid snapshot, if any. `fresh` tells,
   * after each wait, whether the actor is still untouched; if not, nothing is applied.
   */
  async restore(fresh: () => boolean): Promise<void> {
    const machinery = this.#machinery;
    if (this.#every === 0 || machinery.version() !== 0 || machinery.unhandled() !== 0 || !fresh()) return;
    const { store } = machinery.container;
    const { id, className } = machinery;
    let snapshot;
    try {
      snapshot = await store.readSnapshot(id, className);
    } catch (error) {
      this.#log('warn', 'read', `could not read its snapshot; replaying every event: ${messageOf(error)}`);
      return;
    }
    if (snapshot === undefined) return;
    const at = { version: snapshot.version };
    if (snapshot.fingerprint !== this.#fingerprint()) {
      this.#log(
        'debug',
        'stale',
        'ignores a snapshot of other handlers (its fingerprint differs); replaying every event',
        at,
      );
      return;
    }
    let content: SnapshotContent;
    let restoreMarks: (() => void) | undefined;
    try {
      content = decodeSnapshotContent(snapshot.state);
      restoreMarks = this.#marks === undefined ? () => undefined : this.#marks.restorer(content.marks);
      if (restoreMarks === undefined)
        throw new Error(`its marks ${JSON.stringify(content.marks)} are not well formed`);
    } catch (error) {
      this.#log(
        'warn',
        'undecodable',
        `ignores a snapshot it cannot decode (${messageOf(error)}); replaying every event`,
        at,
      );
      return;
    }
    let covered: StoredEvent | undefined;
    try {
      [covered] = await store.readStream(id, { fromVersion: snapshot.version, limit: 1 });
    } catch (error) {
      this.#log(
        'warn',
        'read',
        `could not check its snapshot; replaying every event: ${messageOf(error)}`,
        at,
      );
      return;
    }
    if (covered?.version !== snapshot.version || covered.id !== content.eventId) {
      this.#log(
        'warn',
        'beyond',
        covered === undefined
          ? 'ignores a snapshot beyond the end of its stream; replaying every event'
          : 'ignores a snapshot of another history of its stream (the event at its version differs); replaying every event',
        at,
      );
      return;
    }
    if (machinery.version() !== 0 || machinery.unhandled() !== 0 || !fresh()) return;
    machinery.rebuild(() => {
      machinery.setState(content.state);
      machinery.setVersion(snapshot.version);
      machinery.setUnhandled(content.unhandledEvents);
      machinery.setReactions(content.reactions);
    });
    restoreMarks();
    this.#covered = snapshot.version;
  }

  #take(last: StoredEvent): NewSnapshot | undefined {
    const machinery = this.#machinery;
    const at = { version: last.version };
    let state: JsonValue;
    try {
      state = encodeSnapshotContent({
        state: machinery.state(),
        unhandledEvents: machinery.unhandled(),
        reactions: machinery.reactions(),
        eventId: last.id,
        marks: this.#marks?.save(),
      });
      checkJsonSize(JSON.stringify(state), 'the snapshot', machinery.container.store.limits.maxSnapshotBytes);
    } catch (error) {
      this.#log('warn', 'unencodable', `takes no snapshot: ${messageOf(error)}`, at);
      return undefined;
    }
    return {
      stream: machinery.id,
      key: machinery.className,
      version: last.version,
      fingerprint: this.#fingerprint(),
      state,
    };
  }

  #save(snapshot: NewSnapshot): void {
    this.#saving = true;
    const { store } = this.#machinery.container;
    let saving: Promise<void>;
    try {
      saving = Promise.resolve(store.saveSnapshot(snapshot));
    } catch (error) {
      saving = Promise.reject(error);
    }
    saving
      .catch((error: unknown) => {
        const at = { version: snapshot.version };
        if (error instanceof StoreUnavailableError && error.closed)
          this.#log('debug', 'closed', 'could not save a snapshot: the store is closed', at);
        else this.#log('warn', 'save', `could not save a snapshot: ${messageOf(error)}`, at);
      })
      .finally(() => {
        this.#saving = false;
        const next = this.#waiting;
        this.#waiting = undefined;
        if (next !== undefined) this.#save(next);
      })
      .catch(() => undefined);
  }

  #fingerprint(): string {
    return fingerprintOf(this.#machinery.actorClass, isLibraryClass);
  }

  /** Logs once per logger, class and reason; a logger that throws changes nothing. */
  #log(level: Level, reason: string, message: string, context: Record<string, unknown> = {}): void {
    const { container, className, actorClass, id } = this.#machinery;
    const logger = container.logger;
    let byClass = logged.get(logger);
    if (byClass === undefined) logged.set(logger, (byClass = new WeakMap()));
    let reasons = byClass.get(actorClass);
    if (reasons === undefined) byClass.set(actorClass, (reasons = new Set()));
    if (reasons.has(reason)) return;
    reasons.add(reason);
    try {
      logger[level](`${className} "${id}" ${message}`, { actor: className, stream: id, ...context });
    } catch {
      // A snapshot is only a speed-up: a failing logger must not turn it into a failure.
    }
  }
}

/** What was logged already, per logger, class and reason. */
const logged = new WeakMap<Logger, WeakMap<object, Set<string>>>();
