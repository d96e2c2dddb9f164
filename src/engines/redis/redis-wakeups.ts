/**
 * How the store hears appends of other processes: one pub/sub connection per store (so one per
 * process for all its actors), subscribed to the channel every append publishes its last position
 * on, open while someone subscribes. A message only wakes the subscriptions, which read what is new
 * by position (`subscription-hub.ts`): a message lost while the connection was down loses nothing,
 * since every (re)connection wakes them too, and they catch up from where they were.
 */
import type { Redis } from 'ioredis';
import { messageOf, StoreUnavailableError } from '../../errors.js';
import { closeConnection, neverHoldTheProcess } from './redis-connection.js';

export interface Wakeups {
  setActive(active: boolean): void;
  close(): Promise<void>;
}

export function redisWakeups(options: {
  readonly connect: () => Redis;
  readonly channel: string;
  readonly title: string;
  readonly wake: () => void;
  readonly reportError: (error: unknown) => void;
}): Wakeups {
  let connection: Redis | undefined;
  let troubleSaid = false;

  const start = () => {
    const subscriber = options.connect();
    connection = subscriber;
    neverHoldTheProcess(subscriber);
    subscriber.on('message', () => options.wake());
    subscriber.on('ready', () => {
      troubleSaid = false;
      // Subscribed on every (re)connection, and only then woken: an append that commits before
      // the subscription lands is read by this catch-up, one after it is heard.
      subscriber.subscribe(options.channel).then(
        () => options.wake(),
        (error: unknown) =>
          options.reportError(
            new StoreUnavailableError(
              `${options.title} could not subscribe to its notifications: ${messageOf(error)}`,
              { cause: error },
            ),
          ),
      );
    });
    subscriber.on('error', (error: unknown) => {
      if (troubleSaid) return;
      troubleSaid = true;
      options.reportError(
        new StoreUnavailableError(
          `${options.title} lost its notification connection: ${messageOf(error)}; it reconnects and catches up`,
          { cause: error },
        ),
      );
    });
  };

  /** Closes the connection now in use; the closing is awaited by `close`. */
  let stopping: Promise<void> = Promise.resolve();
  const stop = (): Promise<void> => {
    const subscriber = connection;
    connection = undefined;
    if (subscriber !== undefined) {
      subscriber.removeAllListeners('message');
      subscriber.removeAllListeners('ready');
      subscriber.on('error', () => undefined);
      const closing = closeConnection(subscriber);
      stopping = Promise.all([stopping, closing]).then(() => undefined);
    }
    return stopping;
  };

  return {
    setActive(active) {
      if (active && connection === undefined) start();
      else if (!active) void stop();
    },
    close: stop,
  };
}
