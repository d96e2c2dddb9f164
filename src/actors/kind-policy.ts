/**
 * The contract between the sealed actor core and an actor kind.
 *
 * The core owns identity, state, handler dispatch, `Fire`, `Flush`, `Load` and `Dispose`; a kind
 * only decides what happens between `Fire` and the store (its policy). The core hands the policy an
 * `ActorMachinery`: closures over the core's private fields, so that the kinds reach the machinery
 * and a user's subclass cannot — no member a user writes can replace a piece of it.
 */
import type { Container } from '../container.js';
import type { NewEvent, StoredEvent } from '../events/envelope.js';
import type { SnapshotClass } from '../snapshots/snapshot-settings.js';
import type { ReactionCheckpoints } from '../subscriptions/reaction-cause.js';

/** An event fired but not yet stored, with the settling of its `Fire` promise. */
export interface FiredEvent {
  readonly event: NewEvent & { readonly id: string };
  /** The promise `Fire` returned for it. */
  readonly promise: Promise<StoredEvent>;
  readonly resolve: (stored: StoredEvent) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A fired event and the promise its firer gets. The promise is marked as handled: a failure nobody
 * awaits is reported elsewhere (`Flush` and the error hook, or the store for a leader's events).
 */
export function firedEventOf(event: FiredEvent['event']): FiredEvent {
  let settle: Pick<FiredEvent, 'resolve' | 'reject'> | undefined;
  const promise = new Promise<StoredEvent>((resolve, reject) => (settle = { resolve, reject }));
  promise.catch(() => undefined);
  return { event, promise, ...(settle as Pick<FiredEvent, 'resolve' | 'reject'>) };
}

/** The outcome of a synchronous command run with its fired events held back. */
export type CapturedRun<R> = { readonly fired: FiredEvent[] } & (
  { readonly threw: false; readonly result: R } | { readonly threw: true; readonly error: unknown }
);

/** What the core lends its kind's policy. */
export interface ActorMachinery {
  readonly id: string;
  readonly container: Container;
  /** The user's class name, for messages and metadata. */
  readonly className: string;
  /** The user's class, whose statics set its snapshot policy. */
  readonly actorClass: SnapshotClass;
  state(): object;
  setState(state: object): void;
  version(): number;
  setVersion(version: number): void;
  /** How many applied events had no handler; restored with the state on a rebuild. */
  unhandled(): number;
  setUnhandled(count: number): void;
  /** The last cause each listener of the class reacted to; restored with the state on a rebuild. */
  reactions(): ReactionCheckpoints;
  setReactions(checkpoints: ReactionCheckpoints): void;
  /** Throws `UsageError` if the actor was disposed or a handler is running: no command may start. */
  refuseCommand(operation: string): void;
  /**
   * Applies the event after `version()` through its handler (earlier versions are skipped), and
   * tells the actor's `OnChange` listeners, unless inside `rebuild`.
   */
  applyEvent(event: StoredEvent): void;
  /**
   * Runs `work`, which recomputes the state (resets it, applies events again): the listeners hear
   * of it once, when the outermost rebuild ends (even if it throws), not of each event it applies.
   * `announce: false` when the rebuilt state is the one they last heard of.
   */
  rebuild<T>(work: () => T, announce?: boolean): T;
  /** Runs `work` after every earlier exclusive work of this actor and before any later one. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Runs a synchronous command, keeping what it fires out of the queue. */
  captureFired<R>(command: () => R): CapturedRun<R>;
  /** Resolves once nothing fired is queued or in flight (tracked work may still run). Never rejects. */
  drained(): Promise<void>;
  /** Makes `Flush` and `Dispose` wait for `work` too. */
  track(work: Promise<unknown>): void;
  /** Reports a failure to the error hook and keeps it for the next `Flush`. */
  reportFailure(error: unknown, operation: string, event?: string): void;
  disposed(): boolean;
  /** Whether this node's listeners run changed (an elected kind took or left office). */
  reactingChanged(): void;
}

/** What a kind decides. Each method is called by the core, never by a user. */
export interface KindPolicy {
  /**
   * `Fire` checked the event: the kind may apply it at once. Throwing refuses it (nothing is stored).
   * `rerunnable`: fired by a command that runs again on a conflict, whose events are its own
   * business: dropping one is not a failure to report.
   */
  fired(fired: FiredEvent, rerunnable: boolean): void;
  /**
   * Stores the batch (in order), resolves each stored event's promise, and applies them. Runs inside
   * `exclusive`, one batch at a time. If it throws, every unsettled event of the batch is rejected
   * with that error, which is reported: it must throw only when none of them was stored.
   */
  appendFired(batch: FiredEvent[]): Promise<void>;
  /**
   * Reads and applies every stored event after what the actor has; an actor with nothing applied
   * nor pending first restores its snapshot (`ActorSnapshots.restore`). Runs inside `exclusive`.
   */
  catchUp(): Promise<void>;
  /** At the end of `Load`, inside `exclusive`: a kind may start listening (unless disposed). */
  afterLoad(): Promise<void>;
  /** Once, after every fired event settled and every exclusive work ended: stop listening. */
  dispose(): Promise<void>;
  /**
   * Whether this node's listeners run now (default: always). An elected kind listens and reacts on
   * its leader only, which starts its listeners from the stream's checkpoints when it takes office
   * and stops them when it leaves; it calls `reactingChanged()` at each change.
   */
  mayReact?(): boolean;
  /**
   * How many listeners the actor has. An elected actor with listeners keeps campaigning for its
   * lease, as a TickActor does, so that a leader is always there to react.
   */
  listenersChanged?(count: number): void;
}
