/**
 * `omniscient snapshots rebuild`, run as a child process against a SQLite file and a PostgreSQL
 * schema: the snapshot of every stream of a class is recomputed by the class's own policy and
 * saved (and a fresh Load uses it); streams of other classes are left alone; a stream whose
 * handler throws is reported (exit 5); snapshots turned off, or a missing class, are said so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStore } from 'omniscient-actors';
import { postgresStore } from 'omniscient-actors/postgres';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TALLY = './test/cli/fixtures/tally.ts#Tally';

function omniscient(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OMNISCIENT_STORE: '' },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const byTally = { actor: 'Tally' };

async function writeStreams(store: EventStore): Promise<void> {
  await store.appendToStream(
    't-1',
    [1, 2, 3, 4, 5].map((n) => ({ name: 'added', data: { n }, meta: byTally })),
  );
  await store.appendToStream('t-2', [{ name: 'added', data: { n: 7 }, meta: byTally }]);
  await store.appendToStream(
    'other',
    [1, 2, 3].map((n) => ({ name: 'added', data: { n }, meta: { actor: 'Else' } })),
  );
  await store.appendToStream(
    'broken',
    [5, -1, 2].map((n) => ({ name: 'added', data: { n }, meta: byTally })),
  );
}

function rebuildSpecs(open: () => EventStore, url: () => string) {
  it('saves the snapshot each stream of the class calls for, and reports the rest', async () => {
    const { code, stdout } = omniscient(['snapshots', 'rebuild', '--actor', TALLY, '--store', url()]);
    expect(stdout).toContain('1 snapshot(s) of Tally rebuilt (one every 2 events).');
    expect(stdout).toContain('1 stream(s) with fewer than 2 events need none.');
    expect(stdout).toContain('1 stream(s) hold no event fired by Tally');
    expect(stdout).toContain('broken: version 2: Tally.added threw');
    expect(code).toBe(5);
    const store = open();
    try {
      const snapshot = await store.readSnapshot('t-1', 'Tally');
      expect(snapshot?.version).toBeGreaterThanOrEqual(4);
      expect(await store.readSnapshot('other', 'Tally')).toBeUndefined();
      expect(await store.readSnapshot('broken', 'Tally')).toBeUndefined();
      expect((await store.readStream('t-1')).length).toBe(5);
    } finally {
      await store.close();
    }
  });

  it('takes streams named with --stream, whoever fired their events', async () => {
    const { code, stdout } = omniscient([
      'snapshots',
      'rebuild',
      '--actor',
      TALLY,
      '--stream',
      'other',
      '--store',
      url(),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('1 snapshot(s) of Tally rebuilt');
    const store = open();
    try {
      expect((await store.readSnapshot('other', 'Tally'))?.version).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('says so for a class whose snapshots are off, or a class that does not exist', () => {
    const missing = omniscient([
      'snapshots',
      'rebuild',
      '--actor',
      './test/cli/fixtures/tally.ts#Nope',
      '--store',
      url(),
    ]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('its actor classes: Tally');
    const off = omniscient([
      'snapshots',
      'rebuild',
      '--actor',
      './test/cli/fixtures/tally.ts#Unsnapped',
      '--store',
      url(),
    ]);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('Unsnapped.snapshotEvery is 0: its snapshots are off');
  });
}

describe('omniscient snapshots rebuild on a SQLite file', () => {
  let directory: string;
  let file: string;
  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'omniscient-rebuild-'));
    file = path.join(directory, 'events.db');
    const store = sqliteStore({ file });
    await writeStreams(store);
    await store.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  rebuildSpecs(
    () => sqliteStore({ file }),
    () => `sqlite:${file}`,
  );
});

describeWithPostgres('omniscient snapshots rebuild on PostgreSQL', () => {
  const schema = freshSchema();
  beforeAll(async () => {
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    await writeStreams(store);
    await store.close();
  });
  rebuildSpecs(
    () => postgresStore({ connectionString: POSTGRES_URL }, { schema }),
    () => `${POSTGRES_URL}?schema=${schema}`,
  );
});
