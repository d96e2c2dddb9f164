/**
 * `omniscient streams`: the store's streams, sorted by id, each with its number of events (its
 * version) and the time of its last event. Pages through `listStreams`, so a large store is never
 * read at once; `--prefix` filters in the store, `--filter` by any part of the id.
 */
import type { Command } from 'commander';
import type { EventStore } from '../../engines/engine.js';
import { compactJson, outputWidth, table } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, wholeNumber, type CommonOptions } from '../options.js';

const PAGE = 500;

interface StreamsOptions extends CommonOptions {
  readonly filter?: string;
  readonly prefix?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

export interface StreamLine {
  readonly stream: string;
  readonly version: number;
  /** When its last event was recorded, ISO-8601. */
  readonly lastEventAt: string | null;
}

export function registerStreams(program: Command): void {
  withCommonOptions(
    program
      .command('streams')
      .description('list the streams, sorted by id, with their event count and the time of their last event')
      .option('--filter <text>', 'only streams whose id contains this text')
      .option('--prefix <text>', 'only streams whose id starts with this text')
      .option('--limit <n>', 'at most this many streams', wholeNumber(1))
      .option('--json', 'one JSON object per line: {"stream","version","lastEventAt"}'),
  ).action(async (options: StreamsOptions) => {
    const lines = await withStore(options.store, (store) => listStreams(store, options));
    if (options.json) {
      process.stdout.write(lines.map((line) => `${compactJson(line)}\n`).join(''));
      return;
    }
    if (lines.length === 0) {
      process.stderr.write('no streams\n');
      return;
    }
    const rows = lines.map((line) => [line.stream, String(line.version), line.lastEventAt ?? '']);
    process.stdout.write(table(['STREAM', 'EVENTS', 'LAST EVENT AT'], rows, outputWidth()));
  });
}

async function listStreams(store: EventStore, options: StreamsOptions): Promise<StreamLine[]> {
  const lines: StreamLine[] = [];
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let after: string | undefined;
  for (;;) {
    const page = await store.listStreams({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    });
    for (const info of page) {
      if (options.filter !== undefined && !info.stream.includes(options.filter)) continue;
      const [last] = await store.readStream(info.stream, {
        fromVersion: info.version,
        toVersion: info.version,
      });
      lines.push({ stream: info.stream, version: info.version, lastEventAt: last?.at ?? null });
      if (lines.length >= limit) return lines;
    }
    if (page.length < PAGE) return lines;
    after = page.at(-1)?.stream;
  }
}
