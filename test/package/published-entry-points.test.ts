import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an ES module snippet with plain Node from the package root, as a user's code would import it. */
function runWithNode(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe('the published package', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  it('exposes its entry points through the exports map, with types beside them', () => {
    const output = runWithNode(`
      const main = await import('omniscient-actors');
      const sqlite = await import('omniscient-actors/sqlite');
      const testing = await import('omniscient-actors/testing');
      const conformance = await import('omniscient-actors/conformance');
      console.log(JSON.stringify({
        main: ['Actor', 'LiveActor', 'OneActor', 'TickActor', 'createContainer', 'memoryStore', 'ConcurrencyError', 'InvalidEventError',
               'StoreUnavailableError'].filter((name) => typeof main[name] !== 'function'),
        sqlite: typeof sqlite.sqliteStore,
        testing: typeof testing.Given,
        conformance: typeof conformance.describeEngineConformance,
      }));
    `);
    expect(JSON.parse(output)).toEqual({
      main: [],
      sqlite: 'function',
      testing: 'function',
      conformance: 'function',
    });
    for (const entry of ['index', 'sqlite', 'testing', 'conformance']) {
      expect(existsSync(`${root}/dist/${entry}.d.ts`)).toBe(true);
    }
  });

  it('does not load the native SQLite driver unless the SQLite store is used', () => {
    const output = runWithNode(`
      import { createRequire } from 'node:module';
      await import('omniscient-actors');
      const require = createRequire(import.meta.url);
      console.log(Object.keys(require.cache).some((path) => path.includes('better-sqlite3')));
    `);
    expect(output.trim()).toBe('false');
  });

  it('keeps internals out of the public entry', () => {
    const output = runWithNode(
      `console.log(Object.keys(await import('omniscient-actors')).sort().join(','))`,
    );
    expect(output).not.toMatch(/handlersOf|prepareEvents|encodeJson|registerLibraryClass/);
  });

  it('runs the conformance suite from the build under node:test, against the built memory engine', () => {
    const output = runWithNode(`
      import { describe, it } from 'node:test';
      import { memoryStore } from 'omniscient-actors';
      import { describeEngineConformance } from 'omniscient-actors/conformance';
      describeEngineConformance('memory', (options) => memoryStore(options), { describe, it });
    `);
    expect(output).toMatch(/^# pass [1-9]\d*$/m);
    expect(output).toMatch(/^# fail 0$/m);
  });

  it('builds the conformance suite to import only Node built-ins and its own files, so no test runner', () => {
    const built = [
      'conformance.js',
      ...readdirSync(`${root}/dist/conformance`)
        .filter((file) => file.endsWith('.js'))
        .map((file) => `conformance/${file}`),
    ];
    expect(built.length).toBeGreaterThan(10);
    const imported = new Set<string>();
    for (const file of built) {
      const source = readFileSync(`${root}/dist/${file}`, 'utf8');
      for (const [, specifier] of source.matchAll(/^import\b[^'"]*['"]([^'"]+)['"]/gm)) {
        expect(specifier, file).toMatch(/^(node:|\.\.?\/)/);
        imported.add(specifier as string);
      }
    }
    expect(imported).toContain('node:assert/strict');
  });
});
