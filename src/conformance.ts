/**
 * `omniscient-actors/conformance`: the specifications every engine must pass, for an engine of this
 * package or a user's own. Written against the `EventStore` interface only, so nothing in them
 * knows which engine they talk to.
 *
 * ```ts
 * import { describe, it } from 'vitest'; // or 'node:test', or any runner with describe and it
 * import { describeEngineConformance } from 'omniscient-actors/conformance';
 *
 * describeEngineConformance('my engine', (options) => myStore({ ...options }), { describe, it });
 * ```
 *
 * `makeStore` must return a new, empty store on every call and honour the `StoreOptions` it is
 * given (the suite makes stores with a small `maxEventBytes` and a fixed clock). Every store a
 * specification makes is closed when it ends. The specifications assert with `node:assert/strict`,
 * so the suite depends on no test runner.
 */
import { describeAppending } from './conformance/appending.js';
import { describeClosing } from './conformance/closing.js';
import { describeConcurrency } from './conformance/concurrency.js';
import { describeEnvelope } from './conformance/envelope.js';
import { describeFencing } from './conformance/fencing.js';
import { describeIdentity } from './conformance/identity.js';
import { describeIsolation } from './conformance/isolation.js';
import { describeJsonSafety } from './conformance/json-safety.js';
import { describeLeases } from './conformance/leases.js';
import { describeListingStreams } from './conformance/listing-streams.js';
import { describeNames } from './conformance/names.js';
import { describeNotifications } from './conformance/notifications.js';
import { describeReadingAll } from './conformance/reading-all.js';
import { describeReadingAStream } from './conformance/reading-a-stream.js';
import { describeRetries } from './conformance/retries.js';
import {
  specsFor,
  type ConformanceOptions,
  type MakeStore,
  type Specs,
  type TestRunner,
} from './conformance/runner.js';
import { describeSnapshots } from './conformance/snapshots.js';

export type { ConformanceOptions, MakeStore, TestRunner } from './conformance/runner.js';

/** Every duty of an engine, in the order its specifications are registered. */
const duties: ReadonlyArray<(specs: Specs) => void> = [
  describeIdentity,
  describeAppending,
  describeReadingAStream,
  describeReadingAll,
  describeListingStreams,
  describeEnvelope,
  describeJsonSafety,
  describeNames,
  describeConcurrency,
  describeRetries,
  describeIsolation,
  describeClosing,
  describeFencing,
  describeLeases,
  describeSnapshots,
  describeNotifications,
];

/** Registers the conformance specifications of `makeStore`'s engine with the runner's `describe` and `it`. */
export function describeEngineConformance(
  engineName: string,
  makeStore: MakeStore,
  runner: TestRunner & ConformanceOptions,
): void {
  const specs = specsFor(runner, makeStore, runner);
  specs.describe(`the ${engineName} engine`, () => {
    for (const describeDuty of duties) describeDuty(specs);
  });
}
