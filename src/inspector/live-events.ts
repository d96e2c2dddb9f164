/**
 * The live mode: events as they are stored, to a browser, as server-sent events. Each connection
 * has its own subscription to the store, filtered by stream or event names if it asks; each event
 * goes out once, in position order, with its position as the SSE id. A browser that loses the
 * connection reconnects by itself with the last id it saw (`Last-Event-ID`), and the subscription
 * starts again after it: nothing stored in between is missed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventNotification, EventStore, Subscription } from '../engines/engine.js';
import type { StoredEvent } from '../events/envelope.js';
import { StoreUnavailableError, messageOf } from '../errors.js';

/** A comment line at this interval keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** How long a browser waits before it connects again after the store could not be followed. */
const RECONNECT_MS = 3000;

export interface LiveFilter {
  readonly stream?: string;
  readonly names?: ReadonlySet<string>;
  /** Start after this position (a reconnecting browser's last id); default: from now on. */
  readonly after?: number;
}

/** `shutdown` ends every connection when the inspector stops. */
export function liveEvents(
  c: Context,
  store: EventStore,
  filter: LiveFilter,
  shutdown: AbortSignal,
): Response {
  return streamSSE(c, async (sse) => {
    let lastSent = filter.after ?? 0;
    const trouble = (error: unknown) =>
      sse.writeSSE({ event: 'trouble', data: JSON.stringify({ error: messageOf(error) }) });
    // Nothing is sent before `listening`: the events a resume catches up come after it, in order.
    let opened!: () => void;
    let queue = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const wanted = (n: EventNotification) =>
      (filter.stream === undefined || n.stream === filter.stream) &&
      (filter.names === undefined || filter.names.has(n.name));
    const stopped = () => sse.aborted || shutdown.aborted;
    const send = async (notifications: readonly EventNotification[]) => {
      for (const notification of notifications) {
        if (stopped() || notification.position <= lastSent) continue;
        if (wanted(notification)) {
          const event =
            notification.event ?? (await readEvent(store, notification, stopped, trouble, shutdown));
          if (stopped()) return;
          if (event !== undefined) {
            await sse.writeSSE({ event: 'stored', id: String(event.position), data: JSON.stringify(event) });
          }
        }
        lastSent = notification.position;
      }
    };
    const subscribe = () =>
      store.subscribe(
        (notifications) => {
          // One batch after another, so events go out in position order however long a read takes.
          queue = queue
            .then(() => send(notifications))
            .catch(trouble)
            .catch(() => undefined);
        },
        {
          ...(filter.after === undefined ? {} : { after: filter.after }),
          onError: (error) => {
            trouble(error).catch(() => undefined);
          },
        },
      );
    let subscription: Subscription;
    try {
      subscription = await subscribe();
    } catch (error) {
      // Said to the page, which keeps its connection trying (the browser reconnects after `retry`).
      await sse.writeSSE({
        event: 'trouble',
        data: JSON.stringify({ error: messageOf(error) }),
        retry: RECONNECT_MS,
      });
      return;
    }
    const heartbeat = setInterval(() => void sse.write(': still here\n\n'), HEARTBEAT_MS);
    try {
      try {
        // With a resume point, `listening` carries it as its id: a browser that reconnects before
        // any event arrived resumes from there, not from the moment it reconnects.
        await sse.writeSSE({
          event: 'listening',
          data: JSON.stringify({ after: lastSent }),
          ...(filter.after === undefined ? {} : { id: String(filter.after) }),
        });
      } finally {
        opened();
      }
      await new Promise<void>((resolve) => {
        sse.onAbort(resolve);
        if (shutdown.aborted) resolve();
        else shutdown.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      clearInterval(heartbeat);
      await subscription.close();
      await queue;
    }
  });
}

const FIRST_RETRY_MS = 50;
const LAST_RETRY_MS = 1000;

/**
 * The event a notification names, read from the store. A read that fails is reported and tried
 * again, since skipping it would lose the event for this connection: until it succeeds, the
 * connection ends, or the store is closed for good (`undefined` then).
 */
async function readEvent(
  store: EventStore,
  n: EventNotification,
  stopped: () => boolean,
  trouble: (error: unknown) => Promise<void>,
  shutdown: AbortSignal,
): Promise<StoredEvent | undefined> {
  for (let wait = FIRST_RETRY_MS; !stopped(); wait = Math.min(wait * 2, LAST_RETRY_MS)) {
    try {
      const [event] = await store.readStream(n.stream, { fromVersion: n.version, toVersion: n.version });
      return event;
    } catch (error) {
      if (stopped()) return undefined;
      await trouble(error);
      if (error instanceof StoreUnavailableError && error.closed) return undefined;
      await delay(wait, undefined, { signal: shutdown }).catch(() => undefined);
    }
  }
  return undefined;
}
