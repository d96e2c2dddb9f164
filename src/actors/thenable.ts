/** Whether a command or handler returned something that would settle later (a promise or thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Attaches a rejection handler, so that a refused async function's failure is not left unhandled. */
export function settleQuietly(thenable: PromiseLike<unknown>): void {
  try {
    thenable.then(undefined, () => undefined);
  } catch {
    // A thenable whose `then` throws has nothing left to settle.
  }
}
