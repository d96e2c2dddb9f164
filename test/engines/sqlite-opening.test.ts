/** Opening a SQLite store: what it creates, what it refuses at open, locks held by others, and closing. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError, UsageError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/engines/sqlite/schema.js';
import { sqliteStore } from '../../src/sqlite.js';
import { startChild } from './child-processes.js';

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-opening-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function openingError(options: Parameters<typeof sqliteStore>[0]): StoreUnavailableError {
  let caught: unknown;
  try {
    sqliteStore(options)
      .close()
      .catch(() => {});
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StoreUnavailableError);
  return caught as StoreUnavailableError;
}

describe('opening a SQLite store', () => {
  it('creates the file, in WAL mode, at the current schema version', async () => {
    const file = join(directory, 'new.sqlite');
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'happened' }]);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
    await store.close();
  });

  it('keeps the events and the schema of a file opened again', async () => {
    const file = join(directory, 'store.sqlite');
    const first = sqliteStore({ file });
    const { events } = await first.appendToStream('s', [{ name: 'one' }, { name: 'two' }]);
    await first.close();
    const schemaBefore = schemaOf(file);

    const second = sqliteStore({ file });
    expect(await second.readStream('s')).toEqual(events);
    await second.appendToStream('s', [{ name: 'three' }]);
    await second.close();
    expect(schemaOf(file)).toEqual(schemaBefore);
  });

  it('lets two stores of one process share a file, each seeing the other’s appends', async () => {
    const file = join(directory, 'store.sqlite');
    const left = sqliteStore({ file });
    const right = sqliteStore({ file });
    await left.appendToStream('s', [{ name: 'from_left' }]);
    await right.appendToStream('s', [{ name: 'from_right' }], { expectedVersion: 1 });
    expect((await left.readStream('s')).map((event) => event.name)).toEqual(['from_left', 'from_right']);
    const error = await left
      .appendToStream('s', [{ name: 'stale' }], { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONCURRENCY', actual: 2 });
    await left.close();
    await right.close();
  });

  it("keeps each ':memory:' store to itself", async () => {
    const one = sqliteStore({ file: ':memory:' });
    const two = sqliteStore({ file: ':memory:' });
    await one.appendToStream('s', [{ name: 'happened' }]);
    expect(await two.streamVersion('s')).toBe(0);
    expect(one.engine).toBe('sqlite');
    await one.close();
    await two.close();
  });

  it('refuses, at open, a file that is not a database, and leaves it untouched', () => {
    for (const [name, content] of [
      ['text.sqlite', Buffer.from('these are notes, not a database\n'.repeat(40))],
      ['random.sqlite', randomBytes(8192)],
    ] as const) {
      const file = join(directory, name);
      writeFileSync(file, content);
      const error = openingError({ file });
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/not a SQLite database/);
      expect(error.cause).toMatchObject({ code: 'SQLITE_NOTADB' });
      expect(readFileSync(file)).toEqual(content);
    }
  });

  it('refuses, at open, a directory or a path in a missing directory', () => {
    const asDirectory = join(directory, 'a-directory');
    mkdirSync(asDirectory);
    expect(openingError({ file: asDirectory }).cause).toBeDefined();
    const missing = join(directory, 'missing', 'store.sqlite');
    expect(openingError({ file: missing }).message).toContain(missing);
  });

  it('refuses a file written by a newer version of the library', () => {
    const file = join(directory, 'newer.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(openingError({ file }).message).toMatch(/schema version 99.*newer/);
  });

  it('refuses a database whose tables named events or streams it did not create', () => {
    const file = join(directory, 'foreign.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE events (what TEXT, happened_on TEXT)');
    raw.close();
    expect(openingError({ file }).message).toMatch(/already holds tables named events/);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    check.close();
  });

  it('shares a database with tables of other names', async () => {
    const file = join(directory, 'shared.sqlite');
    const raw = new Database(file);
    raw.exec(
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT); INSERT INTO settings VALUES ('theme', 'dark')",
    );
    raw.close();
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'happened' }]);
    await store.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT value FROM settings').pluck().get()).toBe('dark');
    check.close();
  });

  it('refuses options it cannot use with UsageError', () => {
    const file = join(directory, 'never.sqlite');
    const bad: unknown[] = [
      undefined,
      {},
      { file: '' },
      { file: 42 },
      { file, busyTimeoutMs: -1 },
      { file, busyTimeoutMs: 1.5 },
      { file, synchronous: 'sometimes' },
      { file, maxEventBytes: 0 },
      { file, busyTimeoutMs: 1n },
      { file, pollIntervalMs: Object.create(null) },
      { file, watchFile: 'yes' },
      { file, synchronous: Symbol('full') },
      { file, maxEventBytes: 1n },
      {
        file,
        get busyTimeoutMs(): number {
          throw new Error('unreadable');
        },
      },
    ];
    for (const [index, options] of bad.entries()) {
      expect(() => sqliteStore(options as never), `options #${index}`).toThrow(UsageError);
    }
    expect(() => readFileSync(file)).toThrow();
  });

  it('does not load the native driver until a store is made', async () => {
    const outcome = await startChild('driver-loading.ts', []).result;
    expect(outcome).toEqual({ afterImport: false, afterStore: true });
  });
});

describe('a SQLite store that another connection holds locked', () => {
  it('refuses an append with StoreUnavailableError once the busy timeout passes, storing nothing', async () => {
    const file = join(directory, 'store.sqlite');
    const store = sqliteStore({ file, busyTimeoutMs: 50 });
    await store.appendToStream('s', [{ name: 'before' }]);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');

    const error = await store.appendToStream('s', [{ name: 'blocked' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/locked by another connection/);
    expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    // WAL: readers are not blocked by a writer.
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before']);

    holder.exec('COMMIT');
    holder.close();
    await store.appendToStream('s', [{ name: 'after' }]);
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before', 'after']);
    await store.close();
  });
});

describe('a closed SQLite store', () => {
  it('rejects every call with StoreUnavailableError saying it is closed, and releases the file', async () => {
    const file = join(directory, 'store.sqlite');
    const store = sqliteStore({ file });
    await store.appendToStream('s', [{ name: 'happened' }]);
    await store.close();
    for (const call of [
      () => store.appendToStream('s', [{ name: 'late' }]),
      () => store.readStream('s'),
      () => store.readAll(),
      () => store.streamVersion('s'),
      () => store.listStreams(),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/store ".*store\.sqlite" is closed/);
    }
    // The last connection checkpoints and removes the WAL files when it closes.
    expect(() => readFileSync(`${file}-wal`)).toThrow();
  });
});

function schemaOf(file: string): unknown[] {
  const raw = new Database(file, { readonly: true });
  const schema = raw.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
  raw.close();
  return schema;
}
