/**
 * The model the actor properties drive: an account whose `withdrawn` handler REFUSES (throws) when
 * the balance would go negative, and a `counted` event nobody refuses. The same handlers serve the
 * `LiveActor` kind (`LiveAccount`) and the `Actor` kind (`Ledger`), and `foldAccount` folds stored
 * events with them, so the expected state of any stream is known without an actor.
 *
 * `applied` lists the ids of the events applied, in order: two states are equal only if they were
 * built from the same events in the same order.
 *
 * Every `Fire` a command makes goes through the run's `FireLog` (a container service), which keeps
 * the event's id, its data as it was when `Fire` was called, and how the call ended, for the
 * invariants to check against the stream.
 */
import { Actor, LiveActor, type Container, type StoredEvent } from 'omniscient-actors';

export interface AccountState {
  balance: number;
  count: number;
  applied: string[];
}

export interface AccountEvents {
  deposited: { amount: number };
  withdrawn: { amount: number };
  counted: undefined;
}

/** A withdrawal the handler refuses: the balance would go negative. */
export class Refused extends Error {
  override readonly name = 'Refused';
}

export function emptyAccount(): AccountState {
  return { balance: 0, count: 0, applied: [] };
}

function deposit(state: AccountState, data: { amount: number }, event: StoredEvent): void {
  state.applied.push(event.id);
  state.balance += data.amount;
}

function withdraw(state: AccountState, data: { amount: number }, event: StoredEvent): void {
  // Changes the state before refusing, as a careless handler would: the actor must undo it.
  state.applied.push(event.id);
  if (state.balance < data.amount) {
    throw new Refused(`cannot withdraw ${data.amount} from ${state.balance}`);
  }
  state.balance -= data.amount;
}

function count(state: AccountState, event: StoredEvent): void {
  state.applied.push(event.id);
  state.count += 1;
}

/** The state a replay of `events` yields, or the refusal a replay meets. */
export function foldAccount(events: readonly StoredEvent[]): AccountState {
  const state = emptyAccount();
  for (const event of events) {
    const data = event.data as { amount: number };
    if (event.name === 'deposited') deposit(state, data, event);
    else if (event.name === 'withdrawn') withdraw(state, data, event);
    else if (event.name === 'counted') count(state, event);
  }
  return state;
}

/** One `Fire` call and how it ended. */
export interface FireRecord {
  /** The actor instance that fired. */
  readonly instance: string;
  readonly name: string;
  /** The data as it was when `Fire` was called (a JSON copy). */
  readonly data: unknown;
  /** The event id `Fire` took from the container, if it got that far. */
  readonly id: string | undefined;
  outcome: 'pending' | 'resolved' | 'rejected' | 'threw';
  stored?: StoredEvent;
  error?: unknown;
}

/** Every `Fire` of one run, and the ids each instance's container handed out. */
export class FireLog {
  readonly records: FireRecord[] = [];
  readonly #issued = new Map<string, number>();
  /** While a step runs, the promises its command creates. */
  #collecting: Promise<unknown>[] | undefined;

  /** The `newId` of an instance's container: `A.1`, `A.2`, …, so each id names its actor. */
  newIdFor(instance: string): () => string {
    return () => {
      const next = (this.#issued.get(instance) ?? 0) + 1;
      this.#issued.set(instance, next);
      return `${instance}.${next}`;
    };
  }

  /** Calls `fire` and records the call; a synchronous throw is recorded, not rethrown. */
  record(instance: string, name: string, data: unknown, fire: () => Promise<StoredEvent>): void {
    const issuedBefore = this.#issued.get(instance) ?? 0;
    const snapshot = data === undefined ? null : (JSON.parse(JSON.stringify(data)) as unknown);
    const issued = () => {
      const issuedNow = this.#issued.get(instance) ?? 0;
      return issuedNow > issuedBefore ? `${instance}.${issuedNow}` : undefined;
    };
    let promise: Promise<StoredEvent>;
    try {
      promise = fire();
    } catch (error) {
      this.records.push({ instance, name, data: snapshot, id: issued(), outcome: 'threw', error });
      return;
    }
    const record: FireRecord = { instance, name, data: snapshot, id: issued(), outcome: 'pending' };
    this.records.push(record);
    this.#collecting?.push(promise);
    promise.then(
      (stored) => {
        record.outcome = 'resolved';
        record.stored = stored;
      },
      (error: unknown) => {
        record.outcome = 'rejected';
        record.error = error;
      },
    );
  }

  /** Runs a command and returns every promise it created (its Fires', and the one it returned). */
  collect(command: () => unknown): Promise<unknown>[] {
    const promises: Promise<unknown>[] = [];
    this.#collecting = promises;
    try {
      const returned = command();
      if (returned instanceof Promise) {
        // Not awaited by every schedule: its refusal is an expected outcome, not an unhandled one.
        returned.catch(() => undefined);
        promises.push(returned);
      }
    } finally {
      this.#collecting = undefined;
    }
    return promises;
  }

  /** The Fire calls of one instance made so far. */
  firedBy(instance: string): FireRecord[] {
    return this.records.filter((record) => record.instance === instance);
  }
}

/** The services an instance's container carries for the model. */
export interface ModelServices {
  fireLog: FireLog;
  instance: string;
}

function logFire(container: Container, name: string, data: unknown, fire: () => Promise<StoredEvent>) {
  const services = container.services as unknown as ModelServices;
  services.fireLog.record(services.instance, name, data, fire);
}

export class LiveAccount extends LiveActor<AccountState, AccountEvents> {
  protected override _state = emptyAccount();

  Deposit(amount: number): void {
    const data = { amount };
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
  }

  /** Fires only if the local balance covers it; a rebase may still find it refused. */
  Withdraw(amount: number): void {
    if (this._state.balance < amount) return;
    const data = { amount };
    logFire(this.container, 'withdrawn', data, () => this.Fire('withdrawn', data));
  }

  Count(): void {
    logFire(this.container, 'counted', undefined, () => this.Fire('counted'));
  }

  /** Fires a withdrawal the handler refuses on the current state: `Fire` must throw, storing nothing. */
  Overdraw(): void {
    const data = { amount: this._state.balance + 1 };
    logFire(this.container, 'withdrawn', data, () => this.Fire('withdrawn', data));
  }

  /** Fires an object, changes it, fires it again: each event keeps the data it had at its `Fire`. */
  DepositThenChangeData(first: number, second: number): void {
    const data = { amount: first };
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
    data.amount = second;
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
  }

  /** A withdrawal decided on the state its event lands on: re-run on a conflict, refused if uncovered. */
  WithdrawIfStillCovered(amount: number): Promise<void> {
    return this.RerunOnConflict(() => {
      if (this._state.balance < amount)
        throw new Refused(`${amount} is not covered by ${this._state.balance}`);
      const data = { amount };
      logFire(this.container, 'withdrawn', data, () => this.Fire('withdrawn', data));
    });
  }

  deposited(data: { amount: number }, event: StoredEvent): void {
    deposit(this._state, data, event);
  }

  withdrawn(data: { amount: number }, event: StoredEvent): void {
    withdraw(this._state, data, event);
  }

  counted(_data: undefined, event: StoredEvent): void {
    count(this._state, event);
  }
}

/**
 * The serial kind. An `Actor` applies at `Fire` (a withdrawal its handler refuses throws and is never
 * stored) and appends expecting its version, re-applying its pending events on the winners' after a
 * conflict, so a withdrawal another writer left uncovered is refused too.
 */
export class Ledger extends Actor<AccountState, AccountEvents> {
  protected override _state = emptyAccount();

  Withdraw(amount: number): void {
    if (this._state.balance < amount) return;
    const data = { amount };
    logFire(this.container, 'withdrawn', data, () => this.Fire('withdrawn', data));
  }

  Overdraw(): void {
    const data = { amount: this._state.balance + 1 };
    logFire(this.container, 'withdrawn', data, () => this.Fire('withdrawn', data));
  }

  Deposit(amount: number): void {
    const data = { amount };
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
  }

  Count(): void {
    logFire(this.container, 'counted', undefined, () => this.Fire('counted'));
  }

  DepositThenChangeData(first: number, second: number): void {
    const data = { amount: first };
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
    data.amount = second;
    logFire(this.container, 'deposited', data, () => this.Fire('deposited', data));
  }

  deposited(data: { amount: number }, event: StoredEvent): void {
    deposit(this._state, data, event);
  }

  withdrawn(data: { amount: number }, event: StoredEvent): void {
    withdraw(this._state, data, event);
  }

  counted(_data: undefined, event: StoredEvent): void {
    count(this._state, event);
  }
}
