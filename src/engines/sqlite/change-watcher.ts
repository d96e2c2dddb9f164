/**
 * Notices commits made to the file by other connections (other processes, or other stores on the
 * same file) by polling `PRAGMA data_version`, which SQLite changes whenever another connection
 * commits: a read of a counter, cheap enough to run every few milliseconds. It polls only while
 * someone subscribes, and never keeps the process alive by itself.
 */
import type Database from 'better-sqlite3';

export const DEFAULT_POLL_INTERVAL_MS = 10;

export interface ChangeWatcher {
  setActive(active: boolean): void;
  stop(): void;
}

export function watchForChanges(
  db: Database.Database,
  intervalMs: number,
  onChange: () => void,
  onError: (error: unknown) => void,
): ChangeWatcher {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let timer: NodeJS.Timeout | undefined;
  let seen: unknown;

  function poll(): void {
    try {
      const current = dataVersion.get();
      if (current !== seen) {
        seen = current;
        onChange();
      }
    } catch (error) {
      onError(error);
    }
  }

  return {
    setActive(active) {
      if (active && timer === undefined) {
        seen = dataVersion.get();
        timer = setInterval(poll, intervalMs);
        timer.unref();
      } else if (!active && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
