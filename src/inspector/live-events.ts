/**
 * The live mode: events as they are stored, to a browser, as server-sent events. Each connection
 * has its own subscription to the store, filtered by stream or event names if it asks; each event
 * goes out once, in position order, with its position as the SSE id. A browser that loses the
 * connection reconnects by itself with the last id it saw (`Last-Event-ID`), and the subscription
 * starts again after it: nothing stored in between is missed.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { EventNotification, EventStore } from '../engines/engine.js';
import type { StoredEvent } from '../events/envelope.js';
import { messageOf } from '../errors.js';

/** A comment line at this interval keeps proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

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
    let queue = Promise.resolve();
    const wanted = (n: EventNotification) =>
      (filter.stream === undefined || n.stream === filter.stream) &&
      (filter.names === undefined || filter.names.has(n.name));
    const send = async (notifications: readonly EventNotification[]) => {
      for (const notification of notifications) {
        if (sse.aborted || notification.position <= lastSent) continue;
        lastSent = notification.position;
        if (!wanted(notification)) continue;
        const event = notification.event ?? (await readEvent(store, notification));
        if (event === undefined) continue;
        await sse.writeSSE({ event: 'stored', id: String(event.position), data: JSON.stringify(event) });
      }
    };
    const subscription = await store.subscribe(
      (notifications) => {
        // One batch after another, so events go out in position order however long a read takes.
        queue = queue
          .then(() => send(notifications))
          .catch(async (error: unknown) => {
            await sse.writeSSE({ event: 'trouble', data: JSON.stringify({ error: messageOf(error) }) });
          });
      },
      {
        ...(filter.after === undefined ? {} : { after: filter.after }),
        onError: (error) => {
          void sse.writeSSE({ event: 'trouble', data: JSON.stringify({ error: messageOf(error) }) });
        },
      },
    );
    await sse.writeSSE({ event: 'listening', data: JSON.stringify({ after: lastSent }) });
    const closed = new Promise<void>((resolve) => {
      sse.onAbort(resolve);
      if (shutdown.aborted) resolve();
      else shutdown.addEventListener('abort', () => resolve(), { once: true });
    });
    const heartbeat = setInterval(() => void sse.write(': still here\n\n'), HEARTBEAT_MS);
    try {
      await closed;
    } finally {
      clearInterval(heartbeat);
      await subscription.close();
      await queue;
    }
  });
}

async function readEvent(store: EventStore, n: EventNotification): Promise<StoredEvent | undefined> {
  const [event] = await store.readStream(n.stream, { fromVersion: n.version, toVersion: n.version });
  return event;
}
