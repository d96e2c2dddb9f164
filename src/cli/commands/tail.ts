/**
 * `omniscient tail`: follows the store live and prints each event as it is stored, until SIGINT
 * (or SIGTERM), then closes the store and exits 0. Starts after the store's last event (or from
 * the first with `--from-start`); `--name` (repeatable) and `--stream` filter.
 *
 * Notifications come at least once and in position order: an event at or below the last position
 * printed is a repeat and is skipped, so each event is printed once. An event too large to ride in
 * its notification is read from the store.
 */
import type { Command } from 'commander';
import type { EventNotification, EventStore } from '../../engines/engine.js';
import type { StoredEvent } from '../../events/envelope.js';
import { compactJson, outputWidth, truncate } from '../format.js';
import { openStore, storeUrlFrom } from '../open-store.js';
import { collect, withCommonOptions, type CommonOptions } from '../options.js';
import { stopSignal } from '../stop-signal.js';
import { describeTarget, parseStoreUrl } from '../store-url.js';

interface TailOptions extends CommonOptions {
  readonly name?: readonly string[];
  readonly stream?: string;
  readonly fromStart?: boolean;
  readonly json?: boolean;
}

export function registerTail(program: Command): void {
  withCommonOptions(
    program
      .command('tail')
      .description('print events as they are stored, until Ctrl-C')
      .option('--name <event name>', 'only events with this name (repeat for several)', collect)
      .option('--stream <id>', 'only events of this stream')
      .option('--from-start', 'print every stored event first, then follow')
      .option('--json', 'one stored event per line, as JSON, whole'),
  ).action(async (options: TailOptions) => {
    const target = parseStoreUrl(storeUrlFrom(options.store));
    // Listening before the store is open: Ctrl-C while it connects still closes it and exits 0.
    const stop = stopSignal();
    try {
      const store = await openStore(target);
      try {
        await follow(store, options, describeTarget(target), stop.stopped, stop.stop);
      } finally {
        await store.close();
      }
    } finally {
      stop.dispose();
    }
  });
}

async function follow(
  store: EventStore,
  options: TailOptions,
  where: string,
  stopped: Promise<void>,
  stop: () => void,
): Promise<void> {
  const names = options.name === undefined ? undefined : new Set(options.name);
  const wanted = (n: EventNotification) =>
    (names === undefined || names.has(n.name)) &&
    (options.stream === undefined || n.stream === options.stream);
  let printed = 0;
  let queue = Promise.resolve();
  let failure: unknown;

  const print = async (notifications: readonly EventNotification[]) => {
    for (const notification of notifications) {
      if (notification.position <= printed || !wanted(notification)) continue;
      const event = notification.event ?? (await readEvent(store, notification));
      printed = notification.position;
      if (event !== undefined) process.stdout.write(`${options.json ? compactJson(event) : line(event)}\n`);
    }
  };
  const subscription = await store.subscribe(
    (notifications) => {
      // One batch at a time, in order, however long a read of a large event takes.
      queue = queue
        .then(() => print(notifications))
        .catch((error: unknown) => {
          failure = error;
          stop();
        });
    },
    {
      ...(options.fromStart ? { after: 0 } : {}),
      onError: (error) =>
        process.stderr.write(`omniscient: ${error instanceof Error ? error.message : String(error)}\n`),
    },
  );
  process.stderr.write(`following ${where}: Ctrl-C to stop\n`);
  try {
    await stopped;
  } finally {
    await subscription.close();
    await queue;
  }
  if (failure !== undefined) throw failure;
}

async function readEvent(store: EventStore, n: EventNotification): Promise<StoredEvent | undefined> {
  const [event] = await store.readStream(n.stream, { fromVersion: n.version, toVersion: n.version });
  return event;
}

function line(event: StoredEvent): string {
  const head = `${event.position}  ${event.at}  ${event.stream}@${event.version}  ${event.name}  `;
  return `${head}${truncate(compactJson(event.data), outputWidth() - [...head].length)}`;
}
