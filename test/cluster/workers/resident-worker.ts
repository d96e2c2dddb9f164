/**
 * A process holding many live actors and doing nothing else: it loads `count` `Tally` actors, one
 * per stream `<prefix><n>`, reports how much heap they take (run it with `--expose-gc`), and then
 * only listens. On `expect` it waits until actor `index` has applied the event with `id`, which
 * another process fires, and reports it; on `finish` it lets its actors go and exits.
 */
import { createContainer } from '../../../src/index.js';
import { Tally } from './actors.js';
import { expectCommand, failOn, finish, report, until } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface ResidentWorkerConfig {
  readonly count: number;
  readonly prefix: string;
}

/** How many actors load at once. */
const LOADING_AT_ONCE = 250;

function collectedHeap(): number {
  if (globalThis.gc === undefined) throw new Error('run this worker with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as ResidentWorkerConfig;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const reportedErrors: string[] = [];
  const container = createContainer({
    store,
    onError: (error, context) => reportedErrors.push(`${context.operation}: ${String(error)}`),
  });

  const heapBefore = collectedHeap();
  const actors: Tally[] = [];
  for (let first = 0; first < config.count; first += LOADING_AT_ONCE) {
    const group = Array.from(
      { length: Math.min(LOADING_AT_ONCE, config.count - first) },
      (_, offset) => new Tally(`${config.prefix}${first + offset}`, container),
    );
    actors.push(...(await Promise.all(group.map((actor) => actor.Load()))));
  }
  const heapAfter = collectedHeap();
  report('loaded', { count: actors.length, heapBytesPerActor: (heapAfter - heapBefore) / actors.length });

  const { index, id } = (await expectCommand('expect')) as unknown as { index: number; id: string };
  const actor = actors[index] as Tally;
  await until(() => actor.state.ids.includes(id));
  report('received', { version: actor.version, state: actor.state });

  await expectCommand('finish');
  await Promise.all(actors.map((each) => each.Dispose()));
  await store.close();
  await finish('finished', { errors: reportedErrors });
});
