/**
 * `subscribe` as the facade offers it on every engine: the engine's subscription, behind a gate
 * that decides what reaches the caller's listener.
 *
 * Guarantees:
 * - A `subscribe` that rejects never calls its listener: what the engine delivers before the
 *   subscription is handed over is held, and delivered just before `subscribe` resolves, or
 *   dropped if it rejects.
 * - Nothing is delivered once the store's `close()` or the subscription's `close()` was called,
 *   even what the engine had already read.
 * - A `subscribe` still in flight when `close()` is called rejects with `StoreUnavailableError`,
 *   and the engine's subscription, if it was made, is closed before the store's storage is.
 * - An open subscription holds the process (`process-hold.ts`) until it or the store closes.
 */
import type { EventNotification, EventStore, NotificationListener, Subscription } from './engine.js';
import type { Lifecycle } from './lifecycle.js';
import { resolveSubscribe, type ResolvedSubscribe } from './options.js';

/** How an engine's storage subscribes (`EngineStorage.subscribe`). */
export type StorageSubscribe = (
  listener: NotificationListener,
  options: ResolvedSubscribe,
) => Promise<Subscription>;

export function subscribeCall(subscribe: StorageSubscribe, life: Lifecycle): EventStore['subscribe'] {
  return async (listener, options) => {
    life.ensureOpen();
    const resolved = resolveSubscribe(listener, options);
    const gate = new DeliveryGate(listener, resolved.onError, life);
    const subscription = await life.run(async () => {
      // A close that overtook the start-up: there is nothing to subscribe to any more.
      life.ensureOpen();
      const opened = await subscribe(gate.listener, resolved);
      if (life.closed) {
        gate.shut();
        await opened.close();
        life.ensureOpen();
      }
      return opened;
    });
    life.holds.acquire();
    gate.open();
    return {
      async close() {
        if (gate.shut()) return;
        if (!life.closed) life.holds.release();
        await subscription.close();
      },
    };
  };
}

/** Holds deliveries until the subscription is handed over, and stops them once it or the store closes. */
class DeliveryGate {
  #held: (readonly EventNotification[])[] | undefined = [];
  #shut = false;

  constructor(
    private readonly target: NotificationListener,
    private readonly onError: (error: unknown) => void,
    private readonly life: Lifecycle,
  ) {}

  /** What the engine calls; a listener that throws is reported by the engine's follower. */
  readonly listener: NotificationListener = (notifications) => {
    if (this.#shut || this.life.closed) return;
    if (this.#held !== undefined) this.#held.push(notifications);
    else this.target(notifications);
  };

  /** Delivers what was held, then lets deliveries through. */
  open(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const notifications of held) {
      if (this.#shut || this.life.closed) return;
      try {
        this.target(notifications);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Stops every later delivery; true if it was already shut. */
  shut(): boolean {
    const already = this.#shut;
    this.#shut = true;
    this.#held = undefined;
    return already;
  }
}
