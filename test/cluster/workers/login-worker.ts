/**
 * One process of a cluster hammering a command that must keep its invariant: `actors` `Login`
 * actors on `stream`, each calling `TryLogin` `callsPerActor` times at once on `go`. Reports what
 * every call resolved to (`tried`), then, on `converge`, waits until every actor has reached the
 * stream's final version through the live feed and reports their states.
 */
import { createContainer } from '../../../src/index.js';
import { Login } from './actors.js';
import { expectCommand, failOn, finish, readyThenWaitForGo, report, until } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface LoginWorkerConfig {
  readonly stream: string;
  readonly actors: number;
  readonly callsPerActor: number;
}

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as LoginWorkerConfig;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const reportedErrors: string[] = [];
  const container = createContainer({
    store,
    onError: (error, context) => reportedErrors.push(`${context.operation}: ${String(error)}`),
  });
  const actors = await Promise.all(
    Array.from({ length: config.actors }, () => new Login(config.stream, container).Load()),
  );
  await readyThenWaitForGo();

  const calls = actors.flatMap((actor) =>
    Array.from({ length: config.callsPerActor }, () => actor.TryLogin()),
  );
  const outcomes = await Promise.allSettled(calls);
  report('tried', {
    results: outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
    failures: outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : [])),
  });

  const { version } = (await expectCommand('converge')) as unknown as { version: number };
  await until(
    () => actors.every((actor) => actor.version === version && actor.confirmedVersion === version),
    () => actors.map((actor) => actor.version),
  );
  const states = actors.map((actor) => ({ version: actor.version, state: actor.state }));
  await Promise.all(actors.map((actor) => actor.Dispose()));
  await store.close();
  await finish('converged', { actors: states, errors: reportedErrors });
});
