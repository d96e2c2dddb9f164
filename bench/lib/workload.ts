/**
 * The events benchmarks write: what an actor's `Fire` hands to the store (an id, a name, a small
 * JSON object of data, the firing class in the metadata, a time), built before the clock starts so
 * that both sides of a comparison are given exactly the same input.
 */
import { randomUUID } from 'node:crypto';

export interface Deposit {
  amount: number;
  currency: string;
  note: string;
}

export interface WorkloadEvent {
  id: string;
  name: 'deposited';
  data: Deposit;
  meta: { actor: string };
  at: string;
}

const EPOCH = Date.UTC(2025, 0, 1);

export function depositEvents(count: number, first = 0): WorkloadEvent[] {
  const events: WorkloadEvent[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const number = first + index;
    events[index] = {
      id: randomUUID(),
      name: 'deposited',
      data: { amount: (number % 100) + 1, currency: 'EUR', note: `deposit number ${number}` },
      meta: { actor: 'Account' },
      at: new Date(EPOCH + number * 1000).toISOString(),
    };
  }
  return events;
}

/** The sum of the amounts of `count` deposits made by `depositEvents`, to check a fold. */
export function depositTotal(count: number): number {
  let total = 0;
  for (let number = 0; number < count; number++) total += (number % 100) + 1;
  return total;
}

/** How appends spread over streams: round many streams in turn (as many actors would), or all to one. */
export type Spread = 'distinct streams' | 'one stream';

/** How many streams `distinct streams` cycles through: enough that a stream's rows are not all hot. */
export const DISTINCT_STREAMS = 1000;

/** One append as a writer would make it: the stream, the version it expects, the events. */
export interface PlannedAppend {
  readonly stream: string;
  readonly expectedVersion: number;
  readonly events: WorkloadEvent[];
}

export function planAppends(
  appends: number,
  eventsPerAppend: number,
  spread: Spread,
  streams = DISTINCT_STREAMS,
): PlannedAppend[] {
  const versions = new Map<string, number>();
  const events = depositEvents(appends * eventsPerAppend);
  const plan: PlannedAppend[] = new Array(appends);
  for (let index = 0; index < appends; index++) {
    const stream = spread === 'one stream' ? 'account-0' : `account-${index % streams}`;
    const expectedVersion = versions.get(stream) ?? 0;
    versions.set(stream, expectedVersion + eventsPerAppend);
    plan[index] = {
      stream,
      expectedVersion,
      events: events.slice(index * eventsPerAppend, (index + 1) * eventsPerAppend),
    };
  }
  return plan;
}
