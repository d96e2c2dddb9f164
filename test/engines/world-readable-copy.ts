/**
 * A copy of what the fixtures need to run — the library and the fixtures compiled to JavaScript,
 * and the native SQLite driver — in a new directory every user may read. A child process run as
 * another user (nobody, to prove what a user without write permission sees) may not be able to
 * enter the clone at all: a clone in a private `mktemp -d` folder or under a 0700 home directory
 * is closed to it, and so are the clone's modules and tsx. The copy needs neither.
 */
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface WorldReadableCopy {
  /** The copy's root, laid out as the repository is: `src/`, `test/engines/fixtures/`, `node_modules/`. */
  readonly directory: string;
  /** The path of a fixture's compiled script in the copy. */
  scriptOf(fixture: string): string;
  remove(): void;
}

/** Copies what the scripts of `fixtures/` named in `fixtures` need, and nothing the others do. */
export function worldReadableCopy(fixtures: readonly string[]): WorldReadableCopy {
  const directory = mkdtempSync(join(tmpdir(), 'omniscient-world-readable-'));
  writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
  compileWithImports(
    fixtures.map((fixture) => join('test', 'engines', 'fixtures', fixture)),
    directory,
  );
  copySqliteDriver(join(directory, 'node_modules'));
  // Modes are set after the fact: a private umask (077) would otherwise close what was just written.
  openToEveryone(directory);
  return {
    directory,
    scriptOf: (fixture) => join(directory, 'test', 'engines', 'fixtures', fixture.replace(/\.ts$/, '.js')),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/**
 * Compiles each of `files` (paths from the repository root) and every module they import by a
 * relative path, to `.js` files at the same places in `into`. Types are dropped, not checked.
 */
function compileWithImports(files: readonly string[], into: string): void {
  const pending = [...files];
  const compiled = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (compiled.has(file)) continue;
    compiled.add(file);
    const { outputText } = ts.transpileModule(readFileSync(join(repositoryRoot, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    });
    const target = join(into, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const [, specifier] of outputText.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      pending.push(join(dirname(file), `${specifier}.ts`));
    }
  }
}

/**
 * The SQLite driver and what it loads when it runs (`bindings` finds the compiled addon, with
 * `file-uri-to-path`): its sources, build files and install-time tools are left behind.
 */
function copySqliteDriver(nodeModules: string): void {
  const require = createRequire(import.meta.url);
  const driver = dirname(require.resolve('better-sqlite3/package.json'));
  const bindings = dirname(createRequire(join(driver, 'lib/')).resolve('bindings/package.json'));
  const fileUriToPath = dirname(createRequire(join(bindings, '/')).resolve('file-uri-to-path/package.json'));
  const keptOfDriver = ['package.json', 'lib', 'build', join('build', 'Release')];
  cpSync(driver, join(nodeModules, 'better-sqlite3'), {
    recursive: true,
    filter: (path) => {
      const inside = relative(driver, path);
      return (
        inside === '' ||
        keptOfDriver.includes(inside) ||
        inside.startsWith(`lib${sep}`) ||
        (inside.startsWith(join('build', 'Release', '')) && inside.endsWith('.node'))
      );
    },
  });
  cpSync(bindings, join(nodeModules, 'bindings'), { recursive: true });
  cpSync(fileUriToPath, join(nodeModules, 'file-uri-to-path'), { recursive: true });
}

function openToEveryone(directory: string): void {
  chmodSync(directory, 0o755);
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}
