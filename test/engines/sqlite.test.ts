/** The SQLite engine against the conformance suite, on a file (a new one per store) and in memory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { sqliteStore } from '../../src/sqlite.js';
import { describeEngineConformance } from 'omniscient-actors/conformance';

const directory = mkdtempSync(join(tmpdir(), 'omniscient-sqlite-conformance-'));
let files = 0;

afterAll(() => rmSync(directory, { recursive: true, force: true }));

// 'normal' keeps the suite fast: no specification here depends on surviving a power cut.
describeEngineConformance(
  'sqlite (file)',
  (options) =>
    sqliteStore({ file: join(directory, `store-${++files}.sqlite`), synchronous: 'normal', ...options }),
  { describe, it },
);

describeEngineConformance('sqlite (:memory:)', (options) => sqliteStore({ file: ':memory:', ...options }), {
  describe,
  it,
});
