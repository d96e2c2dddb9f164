/**
 * The package as users get it (`npm run test:package`, run by CI after `npm test`): packs the
 * library with `npm pack`, checks what the tarball holds, installs it into fresh applications and
 * runs the login story and its `Given` test in each:
 *
 * - a CommonJS application made by `npm init -y`, in plain JavaScript with `require`;
 * - an ES module application in TypeScript, compiled with `moduleResolution` `node16` and again
 *   with `bundler`, with `skipLibCheck` off, without `pg` or `@types/pg`;
 * - a CommonJS application in TypeScript (`module` `nodenext`, which compiles `import` of an ES
 *   module to `require`).
 *
 * The `omniscient` command runs from the CommonJS application's install (`npx omniscient`).
 *
 * In each application `pg` must be absent (an optional peer), and `omniscient-actors/postgres` must
 * fail with the `UsageError` that names it.
 *
 * Installing runs against the npm registry with `--ignore-scripts`; the native SQLite driver is then
 * the one this repository built for the same `better-sqlite3` version and Node.js (or, for another
 * version, built from source), so three installs do not compile it three times.
 * Ends with `package: N passed, N failed`; exits non-zero on any failure.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const apps = fileURLToPath(new URL('./apps', import.meta.url));
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const ENTRIES = ['index', 'sqlite', 'postgres', 'redis', 'testing', 'conformance'];
const STORY = {
  state: { logged_in: true, password: 'secret' },
  events: ['signed_up', 'invalid_login', 'logged_in'],
};

let passed = 0;
let failed = 0;
const started = Date.now();

function check(title: string, body: () => void): void {
  try {
    body();
    passed += 1;
    console.log(`  ok   ${title}`);
  } catch (error) {
    failed += 1;
    console.log(`  FAIL ${title}\n${indent(error instanceof Error ? error.message : String(error))}`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `       ${line}`)
    .join('\n');
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function assertEqualJson(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  assert(a === e, `${what}: expected ${e}, got ${a}`);
}

/** Runs a command to its end; on failure, throws with everything it printed. */
function run(command: string, args: readonly string[], cwd: string): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // What the check itself runs under (tsx's loader) must not reach the applications.
    env: { ...process.env, NODE_OPTIONS: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}\n${result.stdout}${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

function node(args: readonly string[], cwd: string): { stdout: string; stderr: string } {
  return run(process.execPath, args, cwd);
}

// ---------------------------------------------------------------------------------------------

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

function pack(work: string): { tarball: string; files: string[]; extracted: string } {
  const { stdout } = run('npm', ['pack', '--json', '--pack-destination', work], root);
  // `npm pack` runs the build first, which may print before the JSON.
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[];
  assert(result !== undefined, 'npm pack printed no result');
  const tarball = join(work, result.filename);
  const extracted = join(work, 'extracted');
  mkdirSync(extracted);
  run('tar', ['-xzf', tarball, '-C', extracted], work);
  console.log(
    `packed ${result.filename}: ${result.files.length} files, ${kib(result.size)} KiB packed, ${kib(result.unpackedSize)} KiB unpacked`,
  );
  return {
    tarball,
    files: result.files.map((file) => file.path).sort(),
    extracted: join(extracted, 'package'),
  };
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(0);
}

function checkContent(files: readonly string[], extracted: string): void {
  const packed = new Set(files);
  check('the tarball holds package.json, README.md, LICENSE and CHANGELOG.md', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      assert(packed.has(file), `${file} is missing`);
    }
    assert(
      /^MIT License/.test(readFileSync(join(extracted, 'LICENSE'), 'utf8')),
      'LICENSE is not the MIT license',
    );
  });
  check('every entry point ships as JavaScript with its type declarations', () => {
    for (const entry of ENTRIES) {
      for (const file of [`dist/${entry}.js`, `dist/${entry}.d.ts`])
        assert(packed.has(file), `${file} is missing`);
    }
  });
  check('nothing but the build, its source and the documents ships (no tests, benchmarks, examples)', () => {
    const top = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']);
    const stray = files.filter((file) => !top.has(file) && !/^(dist|src)\//.test(file));
    assert(stray.length === 0, `unexpected files: ${stray.join(', ')}`);
    const tests = files.filter((file) =>
      /\.(test|test-d|spec)\.|(^|\/)(test|bench|examples|node_modules)\/|\.db$/.test(file),
    );
    assert(tests.length === 0, `test, benchmark or database files: ${tests.join(', ')}`);
  });
  check('every built file comes from a source file that ships (no stale build output)', () => {
    const stale = files
      .filter((file) => file.startsWith('dist/'))
      .map((file) =>
        // The inspector's page ships as it is written; everything else is compiled from TypeScript.
        file.startsWith('dist/inspector/page/')
          ? file.replace(/^dist\//, 'src/')
          : file.replace(/^dist\//, 'src/').replace(/(\.d)?\.(js|ts)(\.map)?$/, '.ts'),
      )
      .filter((source) => !packed.has(source));
    assert(stale.length === 0, `built files without a source: ${[...new Set(stale)].join(', ')}`);
  });
  check('every source map and declaration map points at files that ship', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    assert(maps.length > 2 * ENTRIES.length, `only ${maps.length} maps`);
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(extracted, map), 'utf8')) as { sources: string[] };
      assert(sources.length > 0, `${map} names no source`);
      for (const source of sources) {
        const resolved = posix.normalize(posix.join(posix.dirname(map), source));
        if (!packed.has(resolved)) unresolved.push(`${map} -> ${source}`);
      }
      const built = map.replace(/\.map$/, '');
      assert(packed.has(built), `${map} has no ${built}`);
      const text = readFileSync(join(extracted, built), 'utf8');
      assert(text.includes(`sourceMappingURL=${posix.basename(map)}`), `${built} does not point at ${map}`);
    }
    assert(unresolved.length === 0, `unresolved sources:\n${unresolved.join('\n')}`);
  });
  check('pg and ioredis are optional peer dependencies, better-sqlite3 a dependency', () => {
    const manifest = JSON.parse(readFileSync(join(extracted, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    assert(manifest['dependencies']?.['better-sqlite3'] !== undefined, 'better-sqlite3 is not a dependency');
    assert(manifest['dependencies']?.['pg'] === undefined, 'pg is a dependency');
    assert(manifest['peerDependencies']?.['pg'] !== undefined, 'pg is not a peer dependency');
    assertEqualJson(manifest['peerDependenciesMeta']?.['pg'], { optional: true }, 'peerDependenciesMeta.pg');
    assert(manifest['dependencies']?.['ioredis'] === undefined, 'ioredis is a dependency');
    assert(manifest['peerDependencies']?.['ioredis'] !== undefined, 'ioredis is not a peer dependency');
    assertEqualJson(
      manifest['peerDependenciesMeta']?.['ioredis'],
      { optional: true },
      'peerDependenciesMeta.ioredis',
    );
  });
}

// ---------------------------------------------------------------------------------------------

/** A fresh application folder with the tarball installed, as `npm install <tarball>` leaves it. */
function installInto(app: string, tarball: string): void {
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
  provideSqliteDriver(app);
  const modules = join(app, 'node_modules');
  assert(
    existsSync(join(modules, 'omniscient-actors', 'dist', 'index.js')),
    'omniscient-actors is not installed',
  );
  assert(!existsSync(join(modules, 'pg')), 'pg was installed, though it is an optional peer');
  assert(!existsSync(join(modules, '@types', 'pg')), '@types/pg was installed');
  assert(!existsSync(join(modules, 'ioredis')), 'ioredis was installed, though it is an optional peer');
}

/**
 * The native binary of `better-sqlite3`, whose install script was skipped: the repository's own
 * when it is the same version (the same Node.js built it), else built from source here.
 */
function provideSqliteDriver(app: string): void {
  const installed = join(app, 'node_modules', 'better-sqlite3');
  const ours = join(root, 'node_modules', 'better-sqlite3');
  const binary = join('build', 'Release', 'better_sqlite3.node');
  if (versionOf(installed) === versionOf(ours) && existsSync(join(ours, binary))) {
    mkdirSync(dirname(join(installed, binary)), { recursive: true });
    copyFileSync(join(ours, binary), join(installed, binary));
  } else {
    console.log(`  building better-sqlite3 ${versionOf(installed)} from source in ${app}`);
    run('npm', ['rebuild', '--no-audit', '--no-fund', 'better-sqlite3'], app);
  }
}

function versionOf(packageFolder: string): string {
  return (JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** Copies an application's files, renamed by `rename`, with the imports between them renamed alike. */
function copyApp(from: string, to: string, rename: (file: string) => string = (file) => file): void {
  for (const file of readdirSync(from)) {
    const text = readFileSync(join(from, file), 'utf8').replaceAll(
      /'\.\/([\w.-]+)'/g,
      (_, imported: string) => `'./${rename(imported)}'`,
    );
    writeFileSync(join(to, rename(file)), text);
  }
}

function checkStory(title: string, app: string, main: string, spec: string): void {
  check(`${title}: the login story on SQLite ':memory:'`, () => {
    const { stdout, stderr } = node([main], app);
    assertEqualJson(JSON.parse(stdout), STORY, 'the story');
    assert(!/Warning/.test(stderr), `Node warned:\n${stderr}`);
  });
  check(`${title}: its Given test under node:test`, () => {
    const { stdout } = node(['--test', spec], app);
    assert(/^# pass 2$/m.test(stdout) && /^# fail 0$/m.test(stdout), `node --test:\n${stdout}`);
  });
}

const MISSING_DRIVERS = [
  {
    driver: 'pg',
    entry: 'omniscient-actors/postgres',
    factory: 'postgresStore',
    call: "postgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })",
    message: 'the PostgreSQL store needs the "pg" package, which is not installed: run `npm install pg`',
  },
  {
    driver: 'ioredis',
    entry: 'omniscient-actors/redis',
    factory: 'redisStore',
    call: "redisStore({ url: 'redis://127.0.0.1:1' })",
    message: 'the Redis store needs the "ioredis" package, which is not installed: run `npm install ioredis`',
  },
];

function checkMissingDriver(title: string, app: string, style: 'require' | 'import'): void {
  for (const { driver, entry, factory, call, message } of MISSING_DRIVERS) {
    check(`${title}: without ${driver}, ${entry} loads and ${factory}() names the package to install`, () => {
      const body = `
      try {
        ${call};
        console.log(JSON.stringify({ made: true }));
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
      }`;
      const source =
        style === 'require'
          ? `const { ${factory} } = require('${entry}');${body}`
          : `import { ${factory} } from '${entry}';${body}`;
      const args = style === 'require' ? ['-e', source] : ['--input-type=module', '-e', source];
      const answer = JSON.parse(node(args, app).stdout) as { name?: string; code?: string; message?: string };
      assert(answer.name === 'UsageError' && answer.code === 'USAGE', `got ${JSON.stringify(answer)}`);
      assert(answer.message?.startsWith(message), `the message: ${answer.message}`);
    });
  }
}

/** The `omniscient` bin as installed: its help, and a listing of a SQLite file the story never made. */
function checkCommand(app: string, work: string): void {
  check('the omniscient command runs from the installed package (npx omniscient)', () => {
    const { stdout } = run('npx', ['--no-install', 'omniscient', '--help'], app);
    assert(
      /Usage: omniscient/.test(stdout) && /\bstreams\b/.test(stdout),
      `npx omniscient --help:\n${stdout}`,
    );
    const missing = join(work, 'no-such-store.db');
    const result = spawnSync(
      'npx',
      ['--no-install', 'omniscient', 'streams', '--store', `sqlite:${missing}`],
      {
        cwd: app,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    assert(
      result.status === 3,
      `a missing store file: expected exit 3, got ${result.status}\n${result.stderr}`,
    );
    assert(!existsSync(missing), 'the command created the store file it was asked to read');
  });
  check('omniscient inspect serves its page, its toolkit and its data from the installed package', () => {
    // The server runs until Ctrl-C: a small script starts the installed bin (not through npx, which
    // would take the Ctrl-C itself), reads from it, and stops it.
    const script = join(app, 'inspect-check.mjs');
    writeFileSync(
      script,
      `import { spawn } from 'node:child_process';
const child = spawn('node_modules/.bin/omniscient', ['inspect', '--store', 'sqlite::memory:', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const url = await new Promise((resolve, reject) => {
  child.stdout.on('data', (chunk) => { out += chunk; const found = /http:\\/\\/\\S+/.exec(out); if (found) resolve(found[0]); });
  child.once('exit', (code) => reject(new Error('inspect exited ' + code + ': ' + out)));
});
const answers = {};
for (const path of ['/', '/app.js', '/vendor/preact.js', '/vendor/preact-hooks.js', '/vendor/htm.js', '/api/streams']) {
  const response = await fetch(new URL(path, url));
  answers[path] = [response.status, (await response.text()).length];
}
child.kill('SIGINT');
const code = await new Promise((resolve) => child.once('exit', resolve));
console.log(JSON.stringify({ answers, code }));
`,
    );
    const { stdout } = run('node', [script], app);
    const { answers, code } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      answers: Record<string, [number, number]>;
      code: number;
    };
    for (const [path, [status, length]] of Object.entries(answers)) {
      assert(status === 200 && length > 0, `GET ${path}: ${status}, ${length} characters`);
    }
    assert(code === 0, `inspect exited ${code} on Ctrl-C`);
  });
}

function compile(app: string, name: string, options: Record<string, unknown>): void {
  const config = {
    compilerOptions: {
      strict: true,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      // Off, so that a declaration the package ships that needs a missing package fails here.
      skipLibCheck: false,
      rootDir: '.',
      ...options,
    },
    include: ['*.ts'],
  };
  writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
  run(tsc, ['-p', `tsconfig.${name}.json`], app);
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'omniscient-package-'));
  console.log(`package check in ${work}`);
  try {
    const { tarball, files, extracted } = pack(work);
    checkContent(files, extracted);

    const commonjs = join(work, 'commonjs-app');
    mkdirSync(commonjs);
    run('npm', ['init', '-y'], commonjs);
    // `.js` files in an `npm init -y` project are CommonJS, as in most existing applications.
    copyApp(join(apps, 'commonjs'), commonjs, (file) => file.replace(/\.cjs$/, '.js'));
    installInto(commonjs, tarball);
    checkStory('CommonJS (require)', commonjs, 'main.js', 'given.spec.js');
    checkMissingDriver('CommonJS (require)', commonjs, 'require');
    checkCommand(commonjs, work);

    const esm = join(work, 'typescript-esm-app');
    mkdirSync(esm);
    writeFileSync(
      join(esm, 'package.json'),
      JSON.stringify(
        { name: 'typescript-esm-app', version: '1.0.0', private: true, type: 'module' },
        null,
        2,
      ),
    );
    copyApp(join(apps, 'typescript'), esm);
    installInto(esm, tarball);
    for (const [resolution, module] of [
      ['node16', 'node16'],
      ['bundler', 'ES2022'],
    ] as const) {
      const out = `out-${resolution}`;
      check(
        `TypeScript ES module (moduleResolution ${resolution}): compiles against the declarations`,
        () => {
          compile(esm, resolution, { module, moduleResolution: resolution, outDir: out });
        },
      );
      checkStory(
        `TypeScript ES module (moduleResolution ${resolution})`,
        esm,
        `${out}/main.js`,
        `${out}/given.spec.js`,
      );
    }
    checkMissingDriver('ES module (import)', esm, 'import');

    const commonjsTs = join(work, 'typescript-commonjs-app');
    mkdirSync(commonjsTs);
    writeFileSync(
      join(commonjsTs, 'package.json'),
      JSON.stringify(
        { name: 'typescript-commonjs-app', version: '1.0.0', private: true, type: 'commonjs' },
        null,
        2,
      ),
    );
    copyApp(join(apps, 'typescript'), commonjsTs);
    installInto(commonjsTs, tarball);
    check('TypeScript CommonJS (module nodenext): compiles against the declarations', () => {
      compile(commonjsTs, 'nodenext', { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' });
      assert(
        /require\("omniscient-actors"\)/.test(readFileSync(join(commonjsTs, 'out', 'main.js'), 'utf8')),
        'not compiled to require',
      );
    });
    checkStory('TypeScript CommonJS (module nodenext)', commonjsTs, 'out/main.js', 'out/given.spec.js');
  } catch (error) {
    failed += 1;
    console.log(
      `  FAIL the check could not go on\n${indent(error instanceof Error ? error.message : String(error))}`,
    );
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (failed === 0) rmSync(work, { recursive: true, force: true });
  else console.log(`the applications are kept in ${work}`);
  console.log(`package: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
