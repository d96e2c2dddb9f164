/**
 * Schedules: what the users of two or three actors holding one stream do, step by step, while
 * the store replies late, out of order, or not at all.
 *
 * A schedule is a list of steps, each with a readable `toString` so that a counterexample prints
 * as the story it tells (`B: Withdraw(3), not awaited`). Which step waits for what, and where the
 * store's replies and notifications fall between the steps, is decided by the fast-check scheduler
 * the run is given, so a failing run replays from its seed and path.
 */
import * as fc from 'fast-check';
import type { Fault } from './faulty-store.js';

export type CommandName =
  'Deposit' | 'Withdraw' | 'Count' | 'Overdraw' | 'DepositThenChangeData' | 'WithdrawIfStillCovered';

export interface Command {
  readonly name: CommandName;
  readonly amounts: readonly number[];
}

export type Step =
  | { readonly type: 'command'; readonly slot: number; readonly command: Command; readonly awaited: boolean }
  | { readonly type: 'flush' | 'dispose' | 'load'; readonly slot: number; readonly awaited: boolean }
  | { readonly type: 'fault'; readonly fault: Fault }
  | { readonly type: 'run'; readonly tasks: number };

export interface Plan {
  /** How many actors hold the stream at once. */
  readonly slots: number;
  /** Deposits stored before the first actor loads. */
  readonly seed: readonly number[];
  /**
   * The process each slot's actors run in (0 or 1): actors of one process share a store object,
   * so its live feed and its turns at appending; another process has its own, as on another machine.
   */
  readonly processes: readonly number[];
  readonly steps: readonly Step[];
}

export interface PlanOptions {
  readonly commands: readonly CommandName[];
  readonly faults: readonly Fault[];
  readonly maxSteps: number;
  /** How many actors hold the stream (default 2 to 3). */
  readonly actors?: { readonly min: number; readonly max: number };
}

/** The letter of a slot: its first actor is `A`, the ones that replace it `A2`, `A3`, … */
export function slotName(slot: number): string {
  return String.fromCharCode(65 + slot);
}

export function describeStep(step: Step): string {
  const awaited = (flag: boolean) => (flag ? '' : ', not awaited');
  switch (step.type) {
    case 'command':
      return `${slotName(step.slot)}: ${step.command.name}(${step.command.amounts.join(', ')})${awaited(step.awaited)}`;
    case 'flush':
      return `${slotName(step.slot)}: Flush()${awaited(step.awaited)}`;
    case 'dispose':
      return `${slotName(step.slot)}: Dispose()${awaited(step.awaited)}`;
    case 'load':
      return `${slotName(step.slot)}: Load() (a new actor if disposed)${awaited(step.awaited)}`;
    case 'fault':
      return `fault: ${step.fault}`;
    case 'run':
      return `store: run ${step.tasks} pending request(s), reply(ies) or notification(s)`;
  }
}

function readable<T extends object>(value: T, text: (value: T) => string): T {
  return Object.assign(value, { [fc.toStringMethod]: () => text(value) });
}

const amount = fc.integer({ min: 1, max: 6 });

function commandArbitrary(names: readonly CommandName[]): fc.Arbitrary<Command> {
  // Withdrawals weigh most: two of them racing for one balance is what makes a rebase refuse one.
  const byName: Record<CommandName, [weight: number, fc.Arbitrary<readonly number[]>]> = {
    Deposit: [3, fc.tuple(amount)],
    Withdraw: [4, fc.tuple(amount)],
    Count: [1, fc.constant([])],
    Overdraw: [1, fc.constant([])],
    DepositThenChangeData: [1, fc.tuple(amount, amount)],
    WithdrawIfStillCovered: [3, fc.tuple(amount)],
  };
  return fc.oneof(
    ...names.map((name) => {
      const [weight, amounts] = byName[name];
      return { weight, arbitrary: amounts.map((chosen): Command => ({ name, amounts: chosen })) };
    }),
  );
}

/** Mostly not awaited: steps that pile up before the store answers are what races. */
const awaited = fc.integer({ min: 0, max: 3 }).map((draw) => draw === 0);

function stepArbitrary(slots: number, options: PlanOptions): fc.Arbitrary<Step> {
  const slot = fc.integer({ min: 0, max: slots - 1 });
  const lifecycle = (type: 'flush' | 'dispose' | 'load') =>
    fc.record({ type: fc.constant(type), slot, awaited });
  const choices: fc.WeightedArbitrary<Step>[] = [
    {
      weight: 8,
      arbitrary: fc.record({
        type: fc.constant('command' as const),
        slot,
        command: commandArbitrary(options.commands),
        awaited,
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ type: fc.constant('run' as const), tasks: fc.integer({ min: 1, max: 6 }) }),
    },
    { weight: 1, arbitrary: lifecycle('flush') },
    { weight: 1, arbitrary: lifecycle('dispose') },
    { weight: 2, arbitrary: lifecycle('load') },
  ];
  if (options.faults.length > 0) {
    choices.push({
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant('fault' as const),
        fault: fc.constantFrom(...options.faults),
      }),
    });
  }
  return fc.oneof(...choices).map((step) => readable(step, describeStep));
}

export function planArbitrary(options: PlanOptions): fc.Arbitrary<Plan> {
  return fc.integer(options.actors ?? { min: 2, max: 3 }).chain((slots) =>
    fc.record({
      slots: fc.constant(slots),
      seed: fc.array(amount, { maxLength: 3 }),
      processes: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: slots, maxLength: slots }),
      steps: fc.array(stepArbitrary(slots, options), {
        minLength: 1,
        maxLength: options.maxSteps,
        size: 'max',
      }),
    }),
  );
}

/** Runs for each property: `byDefault` in `npm test`, `OMNISCIENT_PROPERTY_RUNS` when set. */
export function propertyRuns(byDefault: number): number {
  const runs = Number(process.env['OMNISCIENT_PROPERTY_RUNS']);
  return Number.isInteger(runs) && runs > 0 ? runs : byDefault;
}
