/** The elected actors the cluster tests run in several processes, and whose settings the tests read. */
import { OneActor, TickActor, type TickData } from '../../../src/index.js';

export interface LedgerState {
  /** Every ref recorded, in the order applied: an event applied twice would show here. */
  refs: string[];
}

/** A ledger of refs, each chosen by the node that fires it; on the library's default timings. */
export class Ledger extends OneActor<LedgerState, { recorded: { ref: string } }> {
  protected override _state: LedgerState = { refs: [] };

  Record(ref: string) {
    return this.Fire('recorded', { ref });
  }

  recorded(data: { ref: string }) {
    this._state.refs.push(data.ref);
  }
}

/** The same ledger failing over sooner: a request waits 500 ms, a lease lasts 1200 ms. */
export class QuickLedger extends Ledger {
  // Short, but with room for a machine busy with other tests: a request served later than this
  // makes its sender take the lease over from a leader that is only slow.
  static override requestTimeoutMs = 500;
  static override leaseTtlMs = 1200;
}

/** Ticks every 100 ms, on a lease of 900 ms: a standby ticks within about a second of a crash. */
export class Metronome extends TickActor<{ last: number }> {
  static override resolution = 100;
  static override leaseTtlMs = 900;
  protected override _state = { last: 0 };

  tick(data: TickData) {
    this._state.last = data.n;
  }
}
