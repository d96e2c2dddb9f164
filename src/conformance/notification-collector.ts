/** A subscription listener for the notification specifications, that can wait for what it expects. */
import type { EventNotification } from '../engines/engine.js';

/** How long `until` waits before failing the specification, rather than hanging the run. */
const GIVE_UP_AFTER_MS = 10_000;

export interface NotificationCollector {
  /** Every notification received, in the order received, duplicates included. */
  readonly received: EventNotification[];
  readonly listener: (notifications: readonly EventNotification[]) => void;
  /** Resolves once `count` distinct events were notified; rejects if they never are. */
  until(count: number): Promise<void>;
  /** The distinct positions notified, in ascending order. */
  positions(): number[];
}

/** Collects notifications until `count` distinct positions have arrived. */
export function collector(): NotificationCollector {
  const received: EventNotification[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const distinct = () => new Set(received.map((notification) => notification.position)).size;
  return {
    received,
    listener: (notifications) => {
      received.push(...notifications);
      for (const waiter of [...waiters]) {
        if (distinct() >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    until(count) {
      if (distinct() >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${distinct()} of ${count} events were notified`)),
          GIVE_UP_AFTER_MS,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    positions: () =>
      [...new Set(received.map((notification) => notification.position))].sort((a, b) => a - b),
  };
}
