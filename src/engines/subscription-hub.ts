/**
 * Subscriptions for engines that can read the whole store by position and learn cheaply that
 * something changed (an append in this process, a change counter polled from another): each
 * subscription keeps a cursor, and every wake-up reads the events after it, in position order,
 * and hands them to the listener. Because these engines commit positions in increasing order, a
 * cursor never passes an event that is yet to commit, so each event is notified exactly once.
 */
import type { StoredEvent } from '../events/envelope.js';
import type { EventNotification, NotificationListener, SubscribeOptions, Subscription } from './engine.js';

/** How many events one read of a wake-up takes. */
const PAGE_SIZE = 500;

export interface SubscriptionSource {
  readAfter(position: number, limit: number): Promise<StoredEvent[]>;
  /** The position of the last stored event (0 if none). */
  lastPosition(): Promise<number>;
  /** Called when the first subscription opens and when the last one closes (to start or stop polling). */
  onActiveChange?(active: boolean): void;
}

interface Follower {
  readonly listener: NotificationListener;
  readonly onError: ((error: unknown) => void) | undefined;
  cursor: number;
  /** The wake-up in progress, if any; another wake-up while it runs sets `again`. */
  running: Promise<void> | undefined;
  again: boolean;
  closed: boolean;
}

export class SubscriptionHub {
  readonly #followers = new Set<Follower>();

  constructor(private readonly source: SubscriptionSource) {}

  get active(): boolean {
    return this.#followers.size > 0;
  }

  async subscribe(listener: NotificationListener, options?: SubscribeOptions): Promise<Subscription> {
    const after = options?.after ?? (await this.source.lastPosition());
    const follower: Follower = {
      listener,
      onError: options?.onError,
      cursor: after,
      running: undefined,
      again: false,
      closed: false,
    };
    this.#followers.add(follower);
    if (this.#followers.size === 1) this.source.onActiveChange?.(true);
    this.#wakeFollower(follower);
    return {
      close: async () => {
        if (follower.closed) return;
        follower.closed = true;
        this.#followers.delete(follower);
        if (this.#followers.size === 0) this.source.onActiveChange?.(false);
        await follower.running;
      },
    };
  }

  /** Something may have been stored: every subscription reads what is new for it. */
  wake(): void {
    for (const follower of this.#followers) this.#wakeFollower(follower);
  }

  /** Tells every subscription of a problem outside any one of them (a failed change check, say). */
  reportError(error: unknown): void {
    for (const follower of this.#followers) follower.onError?.(error);
  }

  async closeAll(): Promise<void> {
    const followers = [...this.#followers];
    this.#followers.clear();
    if (followers.length > 0) this.source.onActiveChange?.(false);
    for (const follower of followers) follower.closed = true;
    await Promise.all(followers.map((follower) => follower.running));
  }

  #wakeFollower(follower: Follower): void {
    if (follower.running) {
      follower.again = true;
      return;
    }
    follower.running = this.#catchUp(follower).finally(() => {
      follower.running = undefined;
      if (follower.again && !follower.closed) {
        follower.again = false;
        this.#wakeFollower(follower);
      }
    });
  }

  async #catchUp(follower: Follower): Promise<void> {
    try {
      while (!follower.closed) {
        const events = await this.source.readAfter(follower.cursor, PAGE_SIZE);
        if (events.length === 0 || follower.closed) return;
        follower.cursor = (events[events.length - 1] as StoredEvent).position;
        deliver(follower, events.map(notificationOf));
        if (events.length < PAGE_SIZE) return;
      }
    } catch (error) {
      follower.onError?.(error);
    }
  }
}

export function notificationOf(event: StoredEvent): EventNotification {
  return { stream: event.stream, version: event.version, position: event.position, name: event.name, event };
}

function deliver(follower: Follower, notifications: readonly EventNotification[]): void {
  try {
    follower.listener(notifications);
  } catch (error) {
    follower.onError?.(error);
  }
}
