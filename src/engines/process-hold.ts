/**
 * What keeps a process alive for a store: nothing but its open subscriptions. While at least one
 * is open, a timer that never fires holds the event loop, as an open server would, so a process
 * whose only work is to listen (a resident live actor) keeps running; once none is open the timer
 * goes, and the engines' idle connections and pollers, which never hold the process themselves,
 * let it exit. One rule, kept here for every engine, instead of one per driver's habits.
 */

/** Long enough to cost nothing; the timer only exists to be referenced. */
const HOLD_INTERVAL_MS = 60 * 60 * 1000;

export class ProcessHold {
  #count = 0;
  #timer: NodeJS.Timeout | undefined;

  acquire(): void {
    this.#count++;
    this.#timer ??= setInterval(() => undefined, HOLD_INTERVAL_MS);
  }

  release(): void {
    this.#count = Math.max(0, this.#count - 1);
    if (this.#count === 0) this.releaseAll();
  }

  releaseAll(): void {
    this.#count = 0;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
