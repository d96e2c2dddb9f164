/** Several real Node processes sharing one SQLite file, as the processes of one machine do. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import { SCHEMA_VERSION } from '../../src/engines/sqlite/schema.js';
import { sqliteStore } from '../../src/sqlite.js';
import { runTogether, startChild } from './child-processes.js';

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-processes-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

async function readEverything(file: string): Promise<StoredEvent[]> {
  const store = sqliteStore({ file, readonly: true });
  try {
    const all: StoredEvent[] = [];
    for (;;) {
      const page = await store.readAll({ after: all[all.length - 1]?.position ?? 0 });
      if (page.length === 0) return all;
      all.push(...page);
    }
  } finally {
    await store.close();
  }
}

describe('several processes sharing one SQLite file', () => {
  it('append at once with no gap, no duplicate, and positions strictly increasing', async () => {
    const file = join(directory, 'shared.sqlite');
    const perProcess = 150;
    const labels = ['a', 'b', 'c'];
    // The first store creates the file, so the children race on appends, not on creating it.
    await sqliteStore({ file }).close();
    const results = await runTogether(
      labels.map((label) => startChild('append-concurrently.ts', [file, label, String(perProcess)])),
    );
    expect(results).toEqual(labels.map((label) => expect.objectContaining({ label, appended: perProcess })));

    const all = await readEverything(file);
    expect(all).toHaveLength(labels.length * perProcess * 3);
    for (let index = 1; index < all.length; index++) {
      expect(all[index]?.position).toBeGreaterThan(all[index - 1]?.position as number);
    }
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);

    const store = sqliteStore({ file, readonly: true });
    for (const stream of ['shared', 'optimistic']) {
      const events = await store.readStream(stream);
      expect(events.map((event) => event.version)).toEqual(
        Array.from({ length: labels.length * perProcess }, (_, index) => index + 1),
      );
      for (const label of labels) {
        const own = events.filter((event) => (event.data as { label: string }).label === label);
        expect(own.map((event) => (event.data as { n: number }).n)).toEqual(
          Array.from({ length: perProcess }, (_, index) => index + 1),
        );
      }
    }
    for (const label of labels) expect(await store.streamVersion(`own-${label}`)).toBe(perProcess);
    await store.close();
  });

  it('opening a new file at the same moment creates its schema once, and every process can append', async () => {
    const file = join(directory, 'new.sqlite');
    const labels = ['1', '2', '3', '4'];
    const results = await runTogether(labels.map((label) => startChild('open-and-append.ts', [file, label])));
    expect(results).toEqual(labels.map((label) => ({ label, version: 1 })));

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = raw
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(['events', 'lease_holders', 'leases', 'snapshots', 'sqlite_sequence', 'streams']);
    raw.close();
    const streams = (await readEverything(file)).map((event) => event.stream).sort();
    expect(streams).toEqual(labels.map((label) => `opened-by-${label}`));
  });
});
