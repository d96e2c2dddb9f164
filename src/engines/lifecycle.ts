/**
 * A store's life, kept by the facade (`store-facade.ts`) the same way for every engine: started
 * once on first use, open until `close()`, and closed only once every call made before `close()`
 * has settled.
 *
 * Guarantees:
 * - The engine's start-up (`prepare`: connect, migrate) runs once, on first use; a failed start is
 *   not remembered, so the next call tries again.
 * - Every call admitted while the store is open is answered as if `close()` had come after it: the
 *   storage is released only once all of them have settled. Without this, an engine whose driver
 *   drops its queue when it ends (pg-pool) would leave such a call pending forever, and a program
 *   awaiting it would exit silently mid-await.
 * - Calls made once `close()` was called are refused (`ensureOpen`), and `close()` returns the
 *   same promise every time: a second caller waits for the same release, not for nothing.
 * - A call whose storage answers synchronously (SQLite) is neither counted nor awaited: it has
 *   settled before `close()` can run, and its path gains no microtask.
 */
import { StoreUnavailableError } from '../errors.js';
import { ProcessHold } from './process-hold.js';

export type Answer<T> = T | Promise<T>;

export class Lifecycle {
  readonly holds = new ProcessHold();
  readonly #title: string;
  readonly #prepare: (() => Promise<void>) | undefined;
  #readiness: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #inFlight = 0;
  #drained: (() => void) | undefined;

  constructor(title: string, prepare: (() => Promise<void>) | undefined) {
    this.#title = title;
    this.#prepare = prepare;
  }

  get closed(): boolean {
    return this.#closed;
  }

  ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.#title} is closed`, { closed: true });
  }

  /**
   * Runs the storage part of a call, once the storage has started, counting it until it settles.
   * Call it in the same synchronous turn as `ensureOpen`, so that no `close()` falls between.
   */
  run<T>(work: () => Answer<T>): Answer<T> {
    const starting = this.#started();
    if (starting === undefined) {
      const answer = work();
      return answer instanceof Promise ? this.#track(answer) : answer;
    }
    return this.#track(starting.then(work));
  }

  /** Closes once: refuses new calls at once, then releases the storage once the others settled. */
  close(release: () => Answer<void>): Promise<void> {
    this.#closing ??= this.#close(release);
    return this.#closing;
  }

  async #close(release: () => Answer<void>): Promise<void> {
    this.#closed = true;
    this.holds.releaseAll();
    while (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    await release();
  }

  /** `undefined` when there is nothing to wait for, so that synchronous engines never await. */
  #started(): Promise<void> | undefined {
    const prepare = this.#prepare;
    if (prepare === undefined) return undefined;
    this.#readiness ??= prepare().catch((error: unknown) => {
      this.#readiness = undefined;
      throw error;
    });
    return this.#readiness;
  }

  #track<T>(call: Promise<T>): Promise<T> {
    this.#inFlight++;
    const settled = () => {
      this.#inFlight--;
      if (this.#inFlight > 0) return;
      const drained = this.#drained;
      this.#drained = undefined;
      drained?.();
    };
    call.then(settled, settled);
    return call;
  }
}
