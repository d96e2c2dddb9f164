/**
 * The store's clock as this process can know it: an estimate of the store's "now", made from the
 * lease answers the store gives (each says when a tenure ends and how long that was from the
 * store's now when it judged the call).
 *
 * The store judged a call somewhere between the moment it was sent and the moment its answer
 * arrived, so "store time at judging" paired with the local moment of arrival is a lower bound of
 * the store's clock: the estimate never runs ahead of the store, and what it plans for a store
 * time (a tick) happens at that time or a little later, never earlier. The estimate is kept on the
 * local monotonic clock (`performance.now()`), never the wall clock, which can jump.
 */

/** Answers kept for the estimate: enough to ride over one slow answer, few enough to follow drift. */
const KEPT_ANSWERS = 8;
/** Rounding in the store's answers (whole milliseconds, twice): subtracted so as never to run ahead. */
const ROUNDING_MS = 2;

export class StoreClock {
  /** Recent estimates of (store time − performance.now()), newest last. */
  readonly #offsets: number[] = [];
  #best: number | undefined;

  /** Takes in a lease answer (`expiresAt`, `expiresInMs`) that arrived at `arrivedAt` (`performance.now()`). */
  observe(expiresAt: string, expiresInMs: number, arrivedAt = performance.now()): void {
    const expiry = Date.parse(expiresAt);
    if (!Number.isFinite(expiry) || !Number.isFinite(expiresInMs)) return;
    this.#offsets.push(expiry - expiresInMs - ROUNDING_MS - arrivedAt);
    if (this.#offsets.length > KEPT_ANSWERS) this.#offsets.shift();
    // Each is a lower bound of the true offset: the largest is the closest.
    this.#best = Math.max(...this.#offsets);
  }

  /** Whether any answer has been seen: before that, `now()` cannot be told. */
  get known(): boolean {
    return this.#best !== undefined;
  }

  /** The store's now, in milliseconds since the epoch, never ahead of the store's own clock. */
  now(): number {
    if (this.#best === undefined) throw new Error('the store clock is read before any lease answer');
    return performance.now() + this.#best;
  }
}
