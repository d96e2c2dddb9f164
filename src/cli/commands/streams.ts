/**
 * `omniscient streams`: the store's streams, sorted by id, each with its number of events (its
 * version) and the time of its last event (see `stream-listing.ts`).
 */
import type { Command } from 'commander';
import { listStreamLines } from '../../inspection/stream-listing.js';
import { compactJson, outputWidth, table } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, wholeNumber, type CommonOptions } from '../options.js';

interface StreamsOptions extends CommonOptions {
  readonly filter?: string;
  readonly prefix?: string;
  readonly limit?: number;
  readonly json?: boolean;
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
    const { lines } = await withStore(options.store, (store) =>
      listStreamLines(store, {
        ...(options.filter === undefined ? {} : { contains: options.filter }),
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      }),
    );
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
