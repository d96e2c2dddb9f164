/**
 * The streams of a store, for people: sorted by id, each with its number of events and the time of
 * its last event. Pages through `listStreams`, so a large store is never read at once; `prefix`
 * filters in the store, `contains` by any part of the id.
 */
import type { EventStore } from '../engines/engine.js';

const PAGE = 500;

export interface StreamLine {
  readonly stream: string;
  readonly version: number;
  /** When its last event was recorded, ISO-8601. */
  readonly lastEventAt: string | null;
}

export interface StreamQuery {
  /** Only streams whose id contains this text. */
  readonly contains?: string;
  /** Only streams whose id starts with this text. */
  readonly prefix?: string;
  /** Only streams whose id sorts after this one (to page on from an earlier answer's last). */
  readonly after?: string;
  /** At most this many streams. */
  readonly limit?: number;
  /**
   * Stop after looking at this many streams, found or not, so that a search of a huge store
   * answers in bounded time; `scannedTo` then says where to page on from.
   */
  readonly scanAtMost?: number;
}

export interface StreamListing {
  readonly lines: StreamLine[];
  /** The last stream looked at, when the listing stopped before the end: pass it as `after`. */
  readonly scannedTo?: string;
}

export async function listStreamLines(store: EventStore, query: StreamQuery = {}): Promise<StreamListing> {
  const lines: StreamLine[] = [];
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const scanAtMost = query.scanAtMost ?? Number.POSITIVE_INFINITY;
  let scanned = 0;
  let after = query.after;
  for (;;) {
    const page = await store.listStreams({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
      ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
    });
    for (const info of page) {
      scanned++;
      if (query.contains === undefined || info.stream.includes(query.contains)) {
        const [last] = await store.readStream(info.stream, {
          fromVersion: info.version,
          toVersion: info.version,
        });
        lines.push({ stream: info.stream, version: info.version, lastEventAt: last?.at ?? null });
      }
      if (lines.length >= limit || scanned >= scanAtMost) {
        const more = info !== page.at(-1) || page.length === PAGE;
        return more ? { lines, scannedTo: info.stream } : { lines };
      }
    }
    if (page.length < PAGE) return { lines };
    after = page.at(-1)?.stream;
  }
}
