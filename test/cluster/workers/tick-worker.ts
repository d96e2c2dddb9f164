/**
 * One node of a cluster holding a `TickActor` (a `Metronome`, ticking every 100 ms) of one id:
 * every node campaigns, the elected leader ticks, the others apply its ticks from the live feed.
 *
 * It loads the actor on `go` (so that the parent decides when a node joins), then reports each
 * change of leadership as this node sees it (`leading`, `following`), and every warning or error
 * the library logs or reports to the error hook (`log`, `error`), until it is killed or told to
 * `stop` (it then disposes, handing over, and exits).
 */
import { createContainer, type Logger } from '../../../src/index.js';
import { Metronome } from './elected-actors.js';
import { expectCommand, failOn, finish, readyThenWaitForGo, report } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface TickWorkerConfig {
  readonly node: string;
  readonly id: string;
}

const forwardingLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, context) => report('log', { level: 'warn', message, error: String(context?.['error']) }),
  error: (message, context) => report('log', { level: 'error', message, error: String(context?.['error']) }),
};

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as TickWorkerConfig;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const container = createContainer({
    store,
    logger: forwardingLogger,
    onError: (error, context) => report('error', { operation: context.operation, error: String(error) }),
  });
  await readyThenWaitForGo();
  const metronome = await new Metronome(config.id, container).Load();
  report('loaded', { version: metronome.version });

  // Leadership as this node sees it, reported on each change (polled: the actor has no callback).
  let leading = false;
  const watchLeadership = () => {
    if (metronome.isLeader === leading) return;
    leading = metronome.isLeader;
    report(leading ? 'leading' : 'following', { at: Date.now(), version: metronome.version });
  };
  const watching = setInterval(watchLeadership, 5);

  await expectCommand('stop');
  clearInterval(watching);
  await metronome.Dispose();
  await store.close();
  await finish('stopped', { version: metronome.version });
});
