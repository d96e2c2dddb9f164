/**
 * Model-based properties of `Actor`: two or three serial actors hold one account stream in one
 * process (each appends expecting its version and rebases on a conflict, so a withdrawal another
 * writer left uncovered is refused, never stored), or one writes alone; they run
 * random schedules of commands, flushes, disposals and loads while the store delays, reorders and
 * fails. Each event must be stored with the data it had when `Fire` was called, even when the
 * caller changes the object right after. See invariants.ts for the rest.
 *
 * 300 schedules in `npm test`; `OMNISCIENT_PROPERTY_RUNS=<n>` runs n (`npm run test:properties`).
 */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkSchedule } from './check-schedule.js';
import { planArbitrary, propertyRuns } from './schedule.js';

const runs = propertyRuns(300);

describe('Actors sharing a stream, over random schedules', () => {
  it(
    'keep every promise and store the data as it was at Fire, whatever the store does',
    async () => {
      const plans = planArbitrary({
        commands: ['Deposit', 'Withdraw', 'Overdraw', 'Count', 'DepositThenChangeData'],
        faults: [
          'notification without its events',
          'append fails before storing',
          'append lands, reply lost',
          'read fails',
        ],
        maxSteps: 24,
      });
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), plans, (scheduler, plan) =>
          checkSchedule('serial', scheduler, plan),
        ),
        { numRuns: runs },
      );
    },
    60_000 + runs * 400,
  );

  it(
    'never store a withdrawal the handler refuses, when one Actor writes alone',
    async () => {
      const plans = planArbitrary({
        commands: ['Deposit', 'Withdraw', 'Overdraw', 'Count'],
        faults: ['append fails before storing', 'append lands, reply lost', 'read fails'],
        maxSteps: 24,
        actors: { min: 1, max: 1 },
      });
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), plans, (scheduler, plan) =>
          checkSchedule('serial', scheduler, plan),
        ),
        { numRuns: runs },
      );
    },
    60_000 + runs * 400,
  );
});
