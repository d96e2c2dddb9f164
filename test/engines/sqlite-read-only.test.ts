/** SQLite stores that may only be read: by choice (`readonly: true`) or by the file's permissions. */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { sqliteStore } from '../../src/sqlite.js';
import { startChild, type ChildOptions } from './child-processes.js';
import { worldReadableCopy, type WorldReadableCopy } from './world-readable-copy.js';

/**
 * Root may write any file whatever its mode, so as root the checks run in a child process as the
 * unprivileged user 65534 (nobody); otherwise the file modes alone make the file read-only. Nobody
 * may not be able to enter the clone (a private temp folder, a 0700 home), so its child runs from a
 * world-readable copy of what the fixture needs.
 */
const asRoot = process.getuid?.() === 0;
let copy: WorldReadableCopy | undefined;
let asUnprivilegedUser: ChildOptions = {};

beforeAll(() => {
  if (!asRoot) return;
  copy = worldReadableCopy(['read-only-check.ts']);
  asUnprivilegedUser = { uid: 65534, gid: 65534, copy };
});

afterAll(() => copy?.remove());

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-read-only-'));
});

afterEach(() => {
  chmodSync(directory, 0o700);
  rmSync(directory, { recursive: true, force: true });
});

async function storeWithEvents(file: string, count: number): Promise<void> {
  const store = sqliteStore({ file });
  await store.appendToStream(
    's',
    Array.from({ length: count }, (_, n) => ({ name: 'happened', data: { n } })),
  );
  await store.close();
}

async function streamVersion(file: string): Promise<number> {
  const store = sqliteStore({ file, readonly: true });
  const version = await store.streamVersion('s');
  await store.close();
  return version;
}

describe('a SQLite store opened with readonly: true', () => {
  it('reads, and refuses appends with StoreUnavailableError, storing nothing', async () => {
    const file = join(directory, 'store.sqlite');
    await storeWithEvents(file, 3);
    const store = sqliteStore({ file, readonly: true });
    expect(await store.readStream('s')).toHaveLength(3);
    expect(await store.listStreams()).toEqual([{ stream: 's', version: 3 }]);
    const error = await store.appendToStream('s', [{ name: 'refused' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/read-only/);
    expect((error as Error).cause).toBeDefined();
    expect(await store.streamVersion('s')).toBe(3);
    await store.close();
    expect(await streamVersion(file)).toBe(3);
  });

  it('sees what a writer appends while it is open', async () => {
    const file = join(directory, 'store.sqlite');
    await storeWithEvents(file, 1);
    const reader = sqliteStore({ file, readonly: true });
    const writer = sqliteStore({ file });
    await writer.appendToStream('s', [{ name: 'later' }]);
    expect((await reader.readStream('s')).map((event) => event.name)).toEqual(['happened', 'later']);
    await writer.close();
    await reader.close();
  });

  it('refuses a file that does not exist, rather than creating it', () => {
    const file = join(directory, 'missing.sqlite');
    expect(() => sqliteStore({ file, readonly: true })).toThrow(StoreUnavailableError);
    expect(() => readFileSync(file)).toThrow();
  });

  it('refuses a database that holds no store, since it cannot create one', async () => {
    const file = join(directory, 'empty.sqlite');
    const Database = (await import('better-sqlite3')).default;
    new Database(file).close();
    expect(() => sqliteStore({ file, readonly: true })).toThrow(/schema version 0.*read-only/);
  });
});

describe('a SQLite file this process may not write', () => {
  it('reads, and refuses appends with StoreUnavailableError, storing nothing', async () => {
    const file = join(directory, 'store.sqlite');
    await storeWithEvents(file, 3);
    chmodSync(file, 0o444);
    // SQLite needs to create the -wal and -shm files beside a WAL database to read it.
    chmodSync(directory, 0o777);
    const outcome = await startChild('read-only-check.ts', [file, 's'], asUnprivilegedUser).result;
    expect(outcome).toMatchObject({
      before: 3,
      after: 3,
      appendError: {
        name: 'StoreUnavailableError',
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(/read-only/),
      },
    });
    if (asUnprivilegedUser.uid !== undefined) expect(outcome).toMatchObject({ uid: asUnprivilegedUser.uid });
    chmodSync(file, 0o644);
    expect(await streamVersion(file)).toBe(3);
  });

  it('in a directory it may not write either fails at open with StoreUnavailableError', async () => {
    const file = join(directory, 'store.sqlite');
    await storeWithEvents(file, 3);
    chmodSync(file, 0o444);
    chmodSync(directory, 0o555);
    const outcome = await startChild('read-only-check.ts', [file, 's'], asUnprivilegedUser).result;
    expect(outcome).toMatchObject({
      openError: {
        name: 'StoreUnavailableError',
        code: 'STORE_UNAVAILABLE',
        message: expect.stringContaining(file),
      },
    });
    chmodSync(directory, 0o700);
    chmodSync(file, 0o644);
    expect(await streamVersion(file)).toBe(3);
  });
});
