/**
 * One node of a cluster holding a `OneActor` (a `Ledger`) of one id, as an application's processes
 * would: every node fires, the elected leader decides and appends, the others send requests.
 *
 * On `go` it runs `firers` concurrent firers, each firing one `recorded` event at a time with a
 * unique `ref` (`<node>-<n>`), until `stop`. It reports each `Fire` as it resolves (`fired`, with
 * the version it was stored at) or rejects (`rejected`), each change of leadership as this node
 * sees it (`leading`, `following`), and every warning or error the library logs (`log`, with the
 * error's code) or reports to the error hook (`error`), so the parent can see a leader fenced out.
 *
 * `hold` pauses the firers and waits until every `Fire` has settled (`held`); `resume` restarts
 * them; `status` says whether this node leads now. `freeze` (sent to a held node) fires `count` more events without waiting for them and then
 * stops this process with SIGSTOP itself, before anything of them is appended: a leader paused
 * (a GC pause, a VM stall) with fires of its own queued and nothing else under way, so that the
 * first thing it does when it wakes is to append them under its old term. Stopping itself, at
 * this point of its own code, it cannot be stopped inside a SQLite write transaction, where it
 * would hold the file's write lock and stall every node for the whole pause rather than only
 * itself. The parent resumes it with SIGCONT.
 *
 * `stop` ends the firers and waits until every `Fire` has settled (`stopped`); `converge` waits
 * until the actor has applied the stream's final version through the live feed, reports the refs
 * its state holds, in order (`converged`), disposes and exits.
 */
import { createContainer, type Logger } from '../../../src/index.js';
import { Ledger, QuickLedger } from './elected-actors.js';
import { expectCommand, failOn, finish, nextCommand, readyThenWaitForGo, report, until } from './protocol.js';
import { openSharedStore, sharedStoreOfThisProcess } from './shared-store.js';

export interface OneWorkerConfig {
  readonly node: string;
  readonly id: string;
  /** `'fast'`: the short timings of `QuickLedger`; `'defaults'`: the library's. */
  readonly settings: 'fast' | 'defaults';
  readonly firers: number;
}

/** What a log line tells the parent: the message, and the error's name and code if it carries one. */
function logged(level: string, message: string, context: Record<string, unknown> | undefined) {
  const error = context?.['error'] as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  return {
    level,
    message,
    ...(error === undefined
      ? {}
      : { errorName: String(error.name), code: String(error.code), errorMessage: String(error.message) }),
  };
}

/** Forwards warnings and errors to the parent; stays quiet below that. */
const forwardingLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, context) => report('log', logged('warn', message, context)),
  error: (message, context) => report('log', logged('error', message, context)),
};

failOn(async () => {
  const config = JSON.parse(process.argv[2] as string) as OneWorkerConfig;
  const { node } = config;
  const store = await openSharedStore(sharedStoreOfThisProcess());
  const container = createContainer({
    store,
    logger: forwardingLogger,
    onError: (error, context) => report('error', { operation: context.operation, error: String(error) }),
  });
  const type = config.settings === 'fast' ? QuickLedger : Ledger;
  const ledger = await new type(config.id, container).Load();

  // Leadership as this node sees it, reported on each change (polled: the actor has no callback).
  let leading = false;
  const watchLeadership = () => {
    if (ledger.isLeader === leading) return;
    leading = ledger.isLeader;
    report(leading ? 'leading' : 'following', { at: Date.now() });
  };
  watchLeadership();
  setInterval(watchLeadership, 5).unref();

  await readyThenWaitForGo({ isLeader: ledger.isLeader });

  let next = 0;
  let stopped = false;
  /** While set, the firers wait: the node is quiet (`hold`) until `resume`. */
  let held: Promise<void> | undefined;
  let release = () => undefined as void;
  const firing = new Set<Promise<void>>();
  const fired: string[] = [];
  const rejected: Array<{ ref: string; error: string }> = [];

  function fire(ref = `${node}-${++next}`): Promise<void> {
    const settled = ledger.Record(ref).then(
      (stored) => {
        fired.push(ref);
        report('fired', { ref, version: stored.version });
      },
      (error: unknown) => {
        rejected.push({ ref, error: String(error) });
        report('rejected', { ref, error: String(error) });
      },
    );
    firing.add(settled);
    void settled.then(() => firing.delete(settled));
    return settled;
  }

  async function firer(): Promise<void> {
    while (!stopped) {
      if (held !== undefined) {
        await held;
        continue;
      }
      await fire();
      // A SQLite append completes within the call: let timers and I/O (the live feed, the
      // lease keeper, the parent's commands) in between two Fires.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  const firers = Array.from({ length: config.firers }, () => firer());

  for (;;) {
    const command = await nextCommand();
    if (command.type === 'hold') {
      held ??= new Promise<void>((resolve) => (release = resolve));
      while (firing.size > 0) await Promise.all([...firing]);
      report('held', {});
    } else if (command.type === 'status') {
      report('status', { isLeader: ledger.isLeader });
    } else if (command.type === 'resume') {
      release();
      held = undefined;
    } else if (command.type === 'freeze') {
      const refs = Array.from({ length: command['count'] as number }, () => `${node}-${++next}`);
      for (const ref of refs) void fire(ref);
      // Possibly still on its way when the process stops: the parent waits for the stop itself
      // and reads this once the process runs again.
      report('freezing', { refs, isLeader: ledger.isLeader });
      // Synchronously, before the microtask that would append them: they stay queued.
      process.kill(process.pid, 'SIGSTOP');
    } else if (command.type === 'stop') {
      break;
    } else {
      throw new Error(`unexpected command "${command.type}"`);
    }
  }

  stopped = true;
  await Promise.all(firers);
  while (firing.size > 0) await Promise.all([...firing]);
  report('stopped', { fired, rejected });

  const { version } = (await expectCommand('converge')) as unknown as { version: number };
  await until(
    () => ledger.version === version,
    () => ({ version: ledger.version }),
  );
  const refs = [...ledger.state.refs];
  await ledger.Dispose();
  await store.close();
  await finish('converged', { version: ledger.version, refs });
});
