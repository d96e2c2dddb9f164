/**
 * `omniscient inspect`: serves the web inspector (see `src/inspector/`) on 127.0.0.1 until Ctrl-C,
 * then closes it and the store and exits 0. `--actor` (repeatable) names the classes that compute
 * the state after each event. Bound to another address with `--host`, it requires a token (made
 * at start unless given by `--token` or `OMNISCIENT_INSPECTOR_TOKEN`), printed in its address.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEFAULT_INSPECTOR_PORT,
  InspectorStartError,
  startInspector,
} from '../../inspector/inspector-server.js';
import { ACTOR_OPTION_HELP, actorClassFrom } from '../actor-option.js';
import { CliFailureError, CliUsageError } from '../cli-errors.js';
import { openStore, storeUrlFrom } from '../open-store.js';
import { collect, withCommonOptions, wholeNumber, type CommonOptions } from '../options.js';
import { stopSignal } from '../stop-signal.js';
import { describeTarget, parseStoreUrl } from '../store-url.js';

export const TOKEN_VARIABLE = 'OMNISCIENT_INSPECTOR_TOKEN';

interface InspectOptions extends CommonOptions {
  readonly actor?: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly token?: string;
}

export function registerInspect(program: Command): void {
  withCommonOptions(
    program
      .command('inspect')
      .description('serve the web inspector: streams, timelines, the state after each event, live events')
      .option('--actor <module#Class>', `${ACTOR_OPTION_HELP}; repeat for several`, collect)
      .option('--port <n>', 'the port to listen on (0: any free port)', portNumber, DEFAULT_INSPECTOR_PORT)
      .option('--host <address>', 'the address to listen on; off loopback a token is required', '127.0.0.1')
      .option(
        '--token <text>',
        `require this token (default: $${TOKEN_VARIABLE}, else one is made off loopback)`,
      ),
  ).action(async (options: InspectOptions) => {
    const target = parseStoreUrl(storeUrlFrom(options.store));
    const actors = [];
    for (const reference of options.actor ?? []) actors.push(await actorClassFrom(reference));
    if (options.token !== undefined && options.token.trim() === '') {
      throw new CliUsageError('--token is empty: give one with at least one character that is not a space');
    }
    const token = options.token ?? nonEmpty(process.env[TOKEN_VARIABLE]);
    const stop = stopSignal();
    try {
      const store = await openStore(target);
      try {
        const inspector = await startInspector({
          store,
          storeDescription: describeTarget(target),
          actors,
          host: options.host,
          port: options.port,
          ...(token === undefined ? {} : { token }),
        }).catch((error: unknown) => {
          throw error instanceof InspectorStartError ? new CliFailureError(error.message) : error;
        });
        const states =
          actors.length === 0
            ? 'no --actor: events only, no states'
            : `states by ${actors.map((a) => a.name).join(', ')}`;
        process.stdout.write(`Omniscient inspector: ${inspector.url}\n`);
        process.stderr.write(`reading ${describeTarget(target)}; ${states}. Ctrl-C to stop\n`);
        try {
          await stop.stopped;
        } finally {
          await inspector.close();
        }
      } finally {
        await store.close();
      }
    } finally {
      stop.dispose();
    }
  });
}

function portNumber(value: string): number {
  const port = wholeNumber(0)(value);
  if (port > 65535) throw new InvalidArgumentError(`a port is at most 65535, got "${value}".`);
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
