/**
 * `omniscient events <stream>`: a stream's events in version order, as a table (version, position,
 * time, name, data as compact JSON cut to the terminal's width) or as JSON lines (each stored event
 * whole). Read in pages. A stream with no events is "not found" (exit 4).
 */
import type { Command } from 'commander';
import type { EventStore } from '../../engines/engine.js';
import type { StoredEvent } from '../../events/envelope.js';
import { CliNotFoundError, CliUsageError } from '../cli-errors.js';
import { compactJson, outputWidth, table } from '../format.js';
import { withStore } from '../open-store.js';
import { withCommonOptions, wholeNumber, type CommonOptions } from '../options.js';

const PAGE = 1000;

interface EventsOptions extends CommonOptions {
  readonly from?: number;
  readonly to?: number;
  readonly json?: boolean;
}

export function registerEvents(program: Command): void {
  withCommonOptions(
    program
      .command('events')
      .description("print a stream's events in version order")
      .argument('<stream>', 'the stream id')
      .option('--from <version>', 'the first version to print (default 1)', wholeNumber(1))
      .option('--to <version>', 'the last version to print (default: the last)', wholeNumber(1))
      .option('--json', 'one stored event per line, as JSON, whole'),
  ).action(async (stream: string, options: EventsOptions) => {
    if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
      throw new CliUsageError(`--from ${options.from} is after --to ${options.to}: give --from <= --to`);
    }
    await withStore(options.store, async (store) => {
      if ((await store.streamVersion(stream)) === 0) {
        throw new CliNotFoundError(
          `no stream "${stream}" in this store: see \`omniscient streams\` for the ids`,
        );
      }
      const rows: string[][] = [];
      for await (const page of pages(store, stream, options)) {
        if (options.json) process.stdout.write(page.map((event) => `${compactJson(event)}\n`).join(''));
        else rows.push(...page.map(eventRow));
      }
      if (!options.json)
        process.stdout.write(table(['VERSION', 'POSITION', 'TIME', 'NAME', 'DATA'], rows, outputWidth()));
    });
  });
}

export function eventRow(event: StoredEvent): string[] {
  return [String(event.version), String(event.position), event.at, event.name, compactJson(event.data)];
}

async function* pages(
  store: EventStore,
  stream: string,
  options: EventsOptions,
): AsyncGenerator<StoredEvent[]> {
  let from = options.from ?? 1;
  for (;;) {
    const page = await store.readStream(stream, {
      fromVersion: from,
      limit: PAGE,
      ...(options.to === undefined ? {} : { toVersion: options.to }),
    });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return;
    from = last.version + 1;
  }
}
