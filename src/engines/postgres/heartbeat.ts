/**
 * The periodic check that an idle listening connection still answers: every `intervalMs` it runs
 * `check`, and reports a failure, or no answer within `timeoutMs`, through `onFailure`.
 *
 * It never holds the process, neither between checks nor while one waits for its answer (the
 * process-lifetime rule: only open subscriptions hold a process, through `process-hold.ts`). A
 * check of a connection that stopped answering must not keep an otherwise finished program alive
 * for the length of its timeout.
 */
export interface HeartbeatOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly check: () => Promise<unknown>;
  readonly onFailure: (error: unknown) => void;
}

/** Starts the checks; returns what stops them. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const { intervalMs, timeoutMs, check, onFailure } = options;
  const interval = setInterval(() => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the listening connection did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    Promise.race([check(), timeout])
      .catch(onFailure)
      .finally(() => clearTimeout(timer));
  }, intervalMs);
  interval.unref();
  return () => clearInterval(interval);
}
