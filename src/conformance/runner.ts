/**
 * What the conformance suite needs from a test runner, and the frame every duty file registers its
 * specifications in.
 *
 * The suite takes the runner's own `describe` and `it`, so it runs under vitest, `node:test`, or
 * any runner with those shapes, and asserts with `node:assert/strict`, which every runner reports.
 * It needs no hooks: each specification opens its stores through the `open` it is given, and they
 * are closed when that specification ends, pass or fail, so specifications never share a store even
 * under a runner that runs them at the same time.
 */
import type { EventStore, StoreOptions } from '../engines/engine.js';

/** Makes a new, empty store on every call, honouring the `StoreOptions` it is given. */
export type MakeStore = (options?: StoreOptions) => Promise<EventStore> | EventStore;

/** The `describe` and `it` of a test runner (vitest, `node:test`, …). */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
}

export interface ConformanceOptions {
  /** How many callers append at once in the concurrency specifications (default 50). */
  concurrentCallers?: number;
  /** How many appends each of those callers makes (default 20). */
  appendsPerCaller?: number;
}

/** Opens a store for the running specification; it is closed when the specification ends. */
export type Open = (options?: StoreOptions) => Promise<EventStore>;

/** The frame a duty file registers its specifications in. */
export interface Specs {
  describe(name: string, body: () => void): void;
  it(name: string, body: (open: Open) => Promise<void>): void;
  readonly concurrentCallers: number;
  readonly appendsPerCaller: number;
}

export function specsFor(runner: TestRunner, makeStore: MakeStore, options: ConformanceOptions): Specs {
  return {
    describe: (name, body) => void runner.describe(name, body),
    it: (name, body) => void runner.it(name, () => runWithStores(makeStore, body)),
    concurrentCallers: options.concurrentCallers ?? 50,
    appendsPerCaller: options.appendsPerCaller ?? 20,
  };
}

/**
 * Runs one specification, then closes every store it opened. A failure of the specification is
 * the one reported: a store that also fails to close must not hide why the specification failed.
 */
async function runWithStores(makeStore: MakeStore, body: (open: Open) => Promise<void>): Promise<void> {
  const opened: EventStore[] = [];
  const open: Open = async (storeOptions) => {
    const store = await makeStore(storeOptions);
    opened.push(store);
    return store;
  };
  let failure: { error: unknown } | undefined;
  try {
    await body(open);
  } catch (error) {
    failure = { error };
  }
  const closing = await Promise.allSettled(opened.map((store) => store.close()));
  if (failure !== undefined) throw failure.error;
  const failedClose = closing.find((result) => result.status === 'rejected');
  if (failedClose !== undefined) throw failedClose.reason;
}
