import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an ES module snippet with plain Node from the package root, as a user's code would import it. */
function runWithNode(source: string, cwd = root): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd,
    encoding: 'utf8',
  });
}

/** Runs a CommonJS snippet with plain Node, as `require` in an `npm init -y` application runs it. */
function requireWithNode(source: string, cwd = root): string {
  return execFileSync(process.execPath, ['-e', source], { cwd, encoding: 'utf8' });
}

/**
 * An application folder whose `node_modules` holds the built package (its `dist` and
 * `package.json`, laid out as installed) and no `pg`: what an application that never installed
 * the PostgreSQL driver resolves.
 */
function applicationWithoutPg(): string {
  const app = mkdtempSync(join(tmpdir(), 'omniscient-no-pg-'));
  const installed = join(app, 'node_modules', 'omniscient-actors');
  mkdirSync(installed, { recursive: true });
  cpSync(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(installed, 'package.json'));
  return app;
}

/** Tries to make a PostgreSQL store and prints what happened, as JSON. */
const MAKE_A_POSTGRES_STORE = `
  try {
    const store = postgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    await store.close();
    console.log(JSON.stringify({ made: true }));
  } catch (error) {
    console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message, cause: error.cause?.code }));
  }`;

describe('the published package', () => {
  const applications: string[] = [];

  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  afterAll(() => {
    for (const app of applications) rmSync(app, { recursive: true, force: true });
  });

  it('is required from CommonJS, every entry point, with the same exports as an import', () => {
    const output = requireWithNode(`
      const main = require('omniscient-actors');
      console.log(JSON.stringify({
        main: typeof main.LiveActor,
        sqlite: typeof require('omniscient-actors/sqlite').sqliteStore,
        postgres: typeof require('omniscient-actors/postgres').postgresStore,
        testing: typeof require('omniscient-actors/testing').Given,
        conformance: typeof require('omniscient-actors/conformance').describeEngineConformance,
        sameAsImport: require('omniscient-actors/package.json').exports['.'].default === './dist/index.js',
      }));
    `);
    expect(JSON.parse(output)).toEqual({
      main: 'function',
      sqlite: 'function',
      postgres: 'function',
      testing: 'function',
      conformance: 'function',
      sameAsImport: true,
    });
  });

  it('does not load pg when the PostgreSQL entry is imported, only when a PostgreSQL store is made', () => {
    const output = runWithNode(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const pgLoaded = () => Object.keys(require.cache).some((path) => /[\\/]node_modules[\\/]pg[\\/]/.test(path));
      const { postgresStore } = await import('omniscient-actors/postgres');
      const onImport = pgLoaded();
      ${MAKE_A_POSTGRES_STORE}
      console.log(JSON.stringify({ onImport, afterStore: pgLoaded() }));
    `);
    const [made, loaded] = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(made).toEqual({ made: true });
    expect(loaded).toEqual({ onImport: false, afterStore: true });
  });

  it('without pg installed, imports the PostgreSQL entry, and postgresStore() throws a UsageError naming the package to install', () => {
    const app = applicationWithoutPg();
    applications.push(app);
    const expected = {
      name: 'UsageError',
      code: 'USAGE',
      message:
        'the PostgreSQL store needs the "pg" package, which is not installed: run `npm install pg` in your ' +
        'application (and `npm install --save-dev @types/pg` for TypeScript)',
      cause: 'MODULE_NOT_FOUND',
    };
    const imported = runWithNode(
      `import { postgresStore } from 'omniscient-actors/postgres';${MAKE_A_POSTGRES_STORE}`,
      app,
    );
    expect(JSON.parse(imported)).toEqual(expected);
    const required = requireWithNode(
      `const { postgresStore } = require('omniscient-actors/postgres');
       (async () => {${MAKE_A_POSTGRES_STORE}})();`,
      app,
    );
    expect(JSON.parse(required)).toEqual(expected);
  });

  it('passes on, unchanged, the failure of an installed pg that cannot load', () => {
    const app = applicationWithoutPg();
    applications.push(app);
    const brokenPg = join(app, 'node_modules', 'pg');
    mkdirSync(brokenPg);
    writeFileSync(
      join(brokenPg, 'package.json'),
      JSON.stringify({ name: 'pg', version: '8.23.1', main: 'index.js' }),
    );
    writeFileSync(join(brokenPg, 'index.js'), "module.exports = require('./lib/missing-part');");
    const output = runWithNode(
      `import { postgresStore } from 'omniscient-actors/postgres';${MAKE_A_POSTGRES_STORE}`,
      app,
    );
    const answer = JSON.parse(output) as { name: string; code: string; message: string };
    expect(answer.name).toBe('Error');
    expect(answer.code).toBe('MODULE_NOT_FOUND');
    expect(answer.message).toMatch(/^Cannot find module '\.\/lib\/missing-part'/);
  });

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
