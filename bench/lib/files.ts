/**
 * Database files for benchmarks: each run gets a fresh file in the system's temporary directory,
 * so that no run measures a database grown by the one before it, and nothing is left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let directory: string | undefined;
let counter = 0;

/** A path for a new database file; the file does not exist yet. */
export function freshDatabaseFile(label: string): string {
  directory ??= mkdtempSync(path.join(os.tmpdir(), 'omniscient-bench-'));
  counter++;
  return path.join(directory, `${label}-${counter}.db`);
}

/** Deletes a database file with its WAL and shared-memory files. */
export function removeDatabaseFile(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}

export function removeAllDatabaseFiles(): void {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
}
