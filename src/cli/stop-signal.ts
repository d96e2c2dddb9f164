/**
 * How a command that runs until Ctrl-C (tail, inspect) ends well: SIGINT and SIGTERM resolve a
 * promise instead of killing the process, so the command closes what it opened and exits 0.
 */

/** Resolves `stopped` on SIGINT or SIGTERM (or `stop()`), instead of letting them end the process. */
export function stopSignal(): { stopped: Promise<void>; stop: () => void; dispose: () => void } {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    stop,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
