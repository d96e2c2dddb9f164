/** The actors the cluster tests run in several processes at once, and load again in the parent to compare. */
import { LiveActor, type StoredEvent } from '../../../src/index.js';

export interface TallyState {
  count: number;
  /** Every added id, in the order the events were applied: two states are equal only if the order is. */
  ids: string[];
}

type TallyEvents = { item_added: { id: string } };

/** Counts the ids added to its stream, remembering their order. */
export class Tally extends LiveActor<TallyState, TallyEvents> {
  protected override _state: TallyState = { count: 0, ids: [] };
  /**
   * Every version the handler applied, in order. For an actor that only listens, that is what it
   * saw arrive; an actor that fires also re-applies its own events when a conflict rebuilds its state.
   */
  readonly appliedVersions: number[] = [];

  Add(id: string) {
    return this.Fire('item_added', { id });
  }

  item_added(data: { id: string }, event: StoredEvent) {
    this._state.count += 1;
    this._state.ids.push(data.id);
    this.appliedVersions.push(event.version);
  }
}

export interface LoginState {
  attempts: number;
}

/** At most 3 login attempts, whatever the concurrency: the command is re-run on a conflict. */
export class Login extends LiveActor<LoginState, { login_attempted: Record<string, never> }> {
  protected override _state: LoginState = { attempts: 0 };

  TryLogin(): Promise<boolean> {
    return this.RerunOnConflict(() => {
      if (this._state.attempts >= 3) return false;
      void this.Fire('login_attempted', {});
      return true;
    });
  }

  login_attempted() {
    this._state.attempts += 1;
  }
}
