/** A SQLite store reading rows damaged behind its back: it stops with CorruptEventError, never guesses. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventNotification, EventStore } from '../../src/engines/engine.js';
import { CorruptEventError } from '../../src/errors.js';
import { sqliteStore } from '../../src/sqlite.js';

let directory: string;
let file: string;
const stores: EventStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-corruption-'));
  file = join(directory, 'store.sqlite');
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  rmSync(directory, { recursive: true, force: true });
});

function open(): EventStore {
  const store = sqliteStore({ file });
  stores.push(store);
  return store;
}

/** Changes the file behind the store's back, as a damaged disk or a careless tool would. */
function tamper(sql: string, ...parameters: unknown[]): void {
  const raw = new Database(file);
  raw.prepare(sql).run(...parameters);
  raw.close();
}

async function failure(promise: Promise<unknown>): Promise<CorruptEventError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(CorruptEventError);
  return error as CorruptEventError;
}

async function storeThreeEvents(): Promise<EventStore> {
  const store = open();
  await store.appendToStream('other', [{ name: 'before' }]);
  await store.appendToStream('s', [
    { name: 'first', data: 1 },
    { name: 'second', data: 2 },
    { name: 'third', data: 3 },
  ]);
  return store;
}

describe('a SQLite store reading a damaged row', () => {
  it('refuses data that is not JSON with CorruptEventError naming the stream, position and version', async () => {
    const store = await storeThreeEvents();
    tamper(`UPDATE events SET data = '{"unterminated": ' WHERE stream = 's' AND version = 2`);
    for (const read of [store.readStream('s'), store.readAll()]) {
      const error = await failure(read);
      expect(error.code).toBe('CORRUPT_EVENT');
      expect(error.where).toEqual({ stream: 's', position: 3, version: 2 });
      expect(error.message).toMatch(/data is not valid JSON/);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    }
    expect(await store.readStream('s', { toVersion: 1 })).toHaveLength(1);
    expect(await store.readStream('other')).toHaveLength(1);
  });

  it('refuses two damaged rows whose texts would complete each other, deep in a long read', async () => {
    const store = open();
    await store.appendToStream(
      'long',
      Array.from({ length: 700 }, (_, index) => ({ name: 'counted', data: { index } })),
    );
    // Each text is broken alone, but side by side they would read as one valid array.
    tamper(`UPDATE events SET data = '[1' WHERE stream = 'long' AND version = 500`);
    tamper(`UPDATE events SET data = '2]' WHERE stream = 'long' AND version = 501`);
    const error = await failure(store.readStream('long'));
    expect(error.where).toMatchObject({ stream: 'long', version: 500 });
    expect(await store.readStream('long', { toVersion: 499 })).toHaveLength(499);
  });

  it('refuses meta that is not JSON, or not an object', async () => {
    const store = await storeThreeEvents();
    for (const meta of ['not json', '[1,2]', '"text"', 'null']) {
      tamper(`UPDATE events SET meta = ? WHERE stream = 's' AND version = 3`, meta);
      const error = await failure(store.readStream('s'));
      expect(error.where).toEqual({ stream: 's', position: 4, version: 3 });
      expect(error.message).toMatch(/meta/);
    }
  });

  it('refuses a stream with a missing version rather than skipping it', async () => {
    const store = await storeThreeEvents();
    tamper(`DELETE FROM events WHERE stream = 's' AND version = 2`);
    const error = await failure(store.readStream('s'));
    expect(error.where).toEqual({ stream: 's', version: 2 });
    expect(error.message).toMatch(/version 2 is missing/);
  });

  it('refuses an append to a stream whose recorded version is behind its events, storing nothing', async () => {
    const store = await storeThreeEvents();
    tamper(`UPDATE streams SET version = 1 WHERE stream = 's'`);
    const error = await failure(store.appendToStream('s', [{ name: 'fourth' }]));
    expect(error.where).toEqual({ stream: 's', version: 2 });
    expect((await store.readAll()).map((event) => event.name)).toEqual([
      'before',
      'first',
      'second',
      'third',
    ]);
  });
});

describe('a SQLite file whose rows break the column types', () => {
  /** A file at schema version 1 (brought up to date when opened) whose tables do not enforce types or NOT NULL. */
  function looseStore(rows: unknown[][]): EventStore {
    const raw = new Database(file);
    raw.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id, stream, version, name, data, meta, at);
      CREATE TABLE streams (stream PRIMARY KEY, version, fencing_term DEFAULT 0);
      CREATE TABLE snapshots (stream, key, version, fingerprint, state, at, PRIMARY KEY (stream, key));
      PRAGMA user_version = 1;
    `);
    const insert = raw.prepare(
      'INSERT INTO events (id, stream, version, name, data, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) insert.run(...row);
    raw.close();
    return open();
  }

  const good = ['id-1', 's', 1, 'happened', '{}', '{}', '2024-01-01T00:00:00.000Z'];

  for (const [what, row, message] of [
    [
      'a version that is text',
      ['id-2', 's', 'two', 'happened', '{}', '{}', '2024-01-01T00:00:00.000Z'],
      /version is the text "two"/,
    ],
    [
      'a fractional version',
      ['id-2', 's', 2.5, 'happened', '{}', '{}', '2024-01-01T00:00:00.000Z'],
      /version is number 2.5/,
    ],
    ['NULL data', ['id-2', 's', 2, 'happened', null, '{}', '2024-01-01T00:00:00.000Z'], /data is NULL/],
    ['a NULL name', ['id-2', 's', 2, null, '{}', '{}', '2024-01-01T00:00:00.000Z'], /name is NULL/],
    ['a NULL id', [null, 's', 2, 'happened', '{}', '{}', '2024-01-01T00:00:00.000Z'], /id is NULL/],
    ['a time that is a number', ['id-2', 's', 2, 'happened', '{}', '{}', 1704067200000], /at is number/],
    [
      'data that is a blob',
      ['id-2', 's', 2, 'happened', Buffer.from('{}'), '{}', '2024-01-01T00:00:00.000Z'],
      /data is a blob of 2 bytes/,
    ],
  ] as const) {
    it(`refuses ${what} with CorruptEventError naming where it is`, async () => {
      const store = looseStore([good, [...row]]);
      const error = await failure(store.readAll());
      expect(error.where).toMatchObject({ stream: 's', position: 2 });
      expect(error.message).toMatch(message);
    });
  }

  it('refuses a row whose stream is NULL, naming its position', async () => {
    const store = looseStore([good, ['id-2', null, 1, 'happened', '{}', '{}', '2024-01-01T00:00:00.000Z']]);
    const error = await failure(store.readAll());
    expect(error.where).toEqual({ position: 2, version: 1 });
    expect(error.message).toMatch(/stream is NULL/);
  });
});

describe('a SQLite subscription meeting a damaged row', () => {
  /** Waits, with a guard against hanging, until `done` holds. */
  async function until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('reports the row once, with its position, and goes on delivering every other event', async () => {
    const store = open();
    await store.appendToStream('damaged', [{ name: 'broken', data: 1 }]);
    await store.appendToStream('healthy', [{ name: 'fine', data: 2 }]);
    tamper(`UPDATE events SET data = '{"unterminated": ' WHERE stream = 'damaged'`);
    const received: EventNotification[] = [];
    const errors: unknown[] = [];
    await store.subscribe((notifications) => received.push(...notifications), {
      after: 0,
      onError: (error) => errors.push(error),
    });
    await until(
      () => received.some((notification) => notification.stream === 'healthy'),
      'the healthy event',
    );
    // Appended after the damage was met: the subscription is still live.
    await store.appendToStream('healthy', [{ name: 'fine', data: 3 }]);
    await until(() => received.length === 2, 'the live event');
    expect(received.map((notification) => [notification.stream, notification.position])).toEqual([
      ['healthy', 2],
      ['healthy', 3],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CorruptEventError);
    expect((errors[0] as CorruptEventError).where).toEqual({ stream: 'damaged', position: 1, version: 1 });
  });

  it('goes on delivering, live, to a subscriber that was following when the row was damaged', async () => {
    const store = open();
    const writer = open();
    const received: EventNotification[] = [];
    const errors: unknown[] = [];
    await store.subscribe((notifications) => received.push(...notifications), {
      onError: (error) => errors.push(error),
    });
    // Another connection writes and damages the row before the subscriber's poll can read it.
    const raw = new Database(file);
    raw.exec('BEGIN IMMEDIATE');
    raw
      .prepare('INSERT INTO events (id, stream, version, name, data, meta, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('bad-1', 'damaged', 1, 'broken', '[1', '{}', '2024-01-01T00:00:00.000Z');
    raw.prepare('INSERT INTO streams (stream, version) VALUES (?, ?)').run('damaged', 1);
    raw.exec('COMMIT');
    raw.close();
    await writer.appendToStream('healthy', [{ name: 'fine' }]);
    await until(() => received.length === 1, 'the event after the damaged row');
    await store.appendToStream('healthy', [{ name: 'fine' }]);
    await until(() => received.length === 2, 'the next live event');
    expect(received.map((notification) => notification.position)).toEqual([2, 3]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as CorruptEventError).where).toMatchObject({ stream: 'damaged', position: 1 });
  });
});
