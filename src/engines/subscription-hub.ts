/**
 * Subscriptions for engines that learn cheaply that something changed (an append in this process,
 * a change counter polled from another) but are sent no notifications: every wake-up makes each
 * subscription read what is new after its cursor (`PositionFollower`). Because these engines
 * commit positions in increasing order, a cursor never passes an event that is yet to commit, so
 * each event is notified exactly once.
 */
import type { Subscription } from './engine.js';
import type { ResolvedSubscribe } from './options.js';
import { PositionFollower, type FollowedRow } from './position-follower.js';
import type { NotificationListener } from './engine.js';

export interface SubscriptionSource {
  /** Events after `position`, a row that cannot be read given as its `CorruptEventError`. */
  readAfter(position: number, limit: number): Promise<readonly FollowedRow[]>;
  /** The position of the last stored event (0 if none). */
  lastPosition(): Promise<number>;
  /** Called when the first subscription opens and when the last one closes (to start or stop polling). */
  onActiveChange?(active: boolean): void;
}

export class SubscriptionHub {
  readonly #followers = new Set<PositionFollower>();
  readonly #source: SubscriptionSource;

  constructor(source: SubscriptionSource) {
    this.#source = source;
  }

  get active(): boolean {
    return this.#followers.size > 0;
  }

  async subscribe(listener: NotificationListener, options: ResolvedSubscribe): Promise<Subscription> {
    const after = options.after ?? (await this.#source.lastPosition());
    const follower = new PositionFollower(
      {
        listener,
        onError: options.onError,
        readAfter: (position, limit) => this.#source.readAfter(position, limit),
      },
      after,
    );
    this.#followers.add(follower);
    if (this.#followers.size === 1) {
      try {
        this.#source.onActiveChange?.(true);
      } catch (error) {
        // Left in, the follower would make the hub look active for good: the next subscription
        // would never start the source again, and hear only this store's own appends.
        this.#followers.delete(follower);
        throw error;
      }
    }
    follower.catchUp();
    return {
      close: async () => {
        if (!this.#followers.delete(follower)) return;
        if (this.#followers.size === 0) this.#source.onActiveChange?.(false);
        await follower.close();
      },
    };
  }

  /** Something may have been stored: every subscription reads what is new for it. */
  wake(): void {
    for (const follower of this.#followers) follower.catchUp();
  }

  /** Tells every subscription of a problem outside any one of them (a failed change check, say). */
  reportError(error: unknown): void {
    for (const follower of this.#followers) follower.report(error);
  }

  async closeAll(): Promise<void> {
    const followers = [...this.#followers];
    this.#followers.clear();
    if (followers.length > 0) this.#source.onActiveChange?.(false);
    await Promise.all(followers.map((follower) => follower.close()));
  }
}
