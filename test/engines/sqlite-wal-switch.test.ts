/**
 * Opening a new SQLite file switches it to WAL, which needs the file to itself. When another
 * connection holds a write lock on it, SQLite answers that switch with BUSY at once rather than
 * waiting out the busy timeout (waiting could deadlock), as happens when several processes open a
 * new file at the same moment. The store must wait its turn, not fail to open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, expect, it } from 'vitest';
import { sqliteStore } from '../../src/sqlite.js';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-wal-switch-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Another connection, on its own thread, holding a write transaction on `file` for a while. */
function holdWriteLock(file: string): Promise<Worker> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.driver);
     const db = new Database(workerData.file);
     db.exec('CREATE TABLE other (x)');
     db.exec('BEGIN IMMEDIATE');
     parentPort.postMessage('locked');
     // Long enough for the opening thread to meet the lock, far shorter than its busy timeout.
     setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, 300);`,
    { eval: true, workerData: { driver, file } },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

it('opens a new file that another connection is writing to, once that connection lets go', async () => {
  const file = join(directory, 'new.sqlite');
  const worker = await holdWriteLock(file);
  const store = sqliteStore({ file });
  await store.appendToStream('s', [{ name: 'happened' }]);
  expect(await store.streamVersion('s')).toBe(1);
  await store.close();
  await worker.terminate();
});
