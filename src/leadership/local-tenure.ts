/**
 * A process's tenure as it may act on it: until when, on its own monotonic clock, its leases are
 * surely still its own, and a timer that says when that moment has come.
 *
 * The store says how long a tenure has left (`expiresInMs`) when it judges a call, somewhere
 * between the moment the call was sent and the moment its answer arrived. Counting from the moment
 * it was sent, minus a safety margin, therefore ends no later than the store's expiry (for clocks
 * that run at nearly the same rate), however slow the answer was: a leader that keeps to this
 * deadline stops acting before any successor can be granted its lease. The wall clock is never
 * used: it can jump.
 */

export class LocalTenure {
  readonly #marginMs: number;
  readonly #onEnded: () => void;
  /** Until when (`performance.now()`) the process may act on its leases; -Infinity: not at all. */
  #actUntil = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  /** `onEnded` is called once the deadline passes without being extended, while watched. */
  constructor(marginMs: number, onEnded: () => void) {
    this.#marginMs = marginMs;
    this.#onEnded = onEnded;
  }

  /** Whether the deadline has passed: an answer arriving now may describe a new tenure. */
  hasEnded(): boolean {
    return performance.now() >= this.#actUntil;
  }

  /**
   * Takes in a store's answer to a call sent at `sentAt` (`performance.now()`) that extended the
   * tenure by `expiresInMs`. False when that leaves no time to act at all.
   */
  extend(sentAt: number, expiresInMs: number): boolean {
    const until = sentAt + expiresInMs - this.#marginMs;
    if (until <= performance.now()) return false;
    if (until > this.#actUntil) {
      this.#actUntil = until;
      if (this.#timer !== undefined) this.#arm();
    }
    return true;
  }

  /** Starts calling `onEnded` when the deadline passes. */
  watch(): void {
    if (this.#timer === undefined) this.#arm();
  }

  /** Stops watching (nothing leads any more); the deadline is kept for later answers. */
  unwatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const delay = Math.max(0, this.#actUntil - performance.now());
    // The keeper's process hold decides whether the process stays alive, not this timer.
    this.#timer = setTimeout(() => this.#check(), Math.ceil(delay)).unref();
  }

  #check(): void {
    if (!this.hasEnded()) {
      this.#arm();
      return;
    }
    this.#timer = undefined;
    this.#onEnded();
  }
}
