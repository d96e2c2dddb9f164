/**
 * Finds the user's actor class from `--actor ./path/to/module.ts#ClassName`: the module is
 * imported from the current directory (a TypeScript module through `tsx`, which the user's project
 * has when it runs TypeScript, loaded from there), and the class is its export of that name, or its
 * default export when no name is given. Each way it can fail is a `ActorModuleError` saying what to do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Actor, LiveActor, OneActor, TickActor } from '../index.js';
import { messageOf } from '../errors.js';
import type { ReplayableClass } from './replay-stream.js';

export class ActorModuleError extends Error {
  override readonly name = 'ActorModuleError';
}

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;

export async function loadActorClass(reference: string, cwd = process.cwd()): Promise<ReplayableClass> {
  const hash = reference.lastIndexOf('#');
  const file = hash < 0 ? reference : reference.slice(0, hash);
  const exportName = hash < 0 ? 'default' : reference.slice(hash + 1);
  if (file === '' || exportName === '') {
    throw new ActorModuleError(`--actor takes ./path/to/module.ts#ClassName, got "${reference}"`);
  }
  const absolute = path.resolve(cwd, file);
  if (!existsSync(absolute)) {
    throw new ActorModuleError(`--actor: no module at ${absolute}`);
  }
  if (TYPESCRIPT.test(absolute)) await registerTypeScript(cwd);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ActorModuleError(`--actor: ${absolute} could not be loaded: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const candidate = module[exportName];
  if (!isActorClass(candidate)) {
    const classes = Object.entries(module)
      .filter(([, value]) => isActorClass(value))
      .map(([name]) => name);
    const found =
      classes.length > 0 ? `its actor classes: ${classes.join(', ')}` : 'it exports no actor class';
    const what =
      exportName === 'default' ? 'default export that is an actor class' : `actor class "${exportName}"`;
    throw new ActorModuleError(`--actor: ${file} has no ${what}; ${found}`);
  }
  return candidate;
}

function isActorClass(value: unknown): value is ReplayableClass {
  return (
    typeof value === 'function' &&
    [Actor, LiveActor, OneActor, TickActor].some((kind) => value.prototype instanceof kind)
  );
}

let registered = false;

/** Lets `import()` load TypeScript, with the `tsx` of the user's project (or this package's). */
async function registerTypeScript(cwd: string): Promise<void> {
  if (registered) return;
  let api: string | undefined;
  for (const from of [path.join(cwd, 'package.json'), import.meta.url]) {
    api = tsxEsmApi(from);
    if (api !== undefined) break;
  }
  if (api === undefined) {
    throw new ActorModuleError(
      '--actor: loading a TypeScript module needs tsx in your project (npm install --save-dev tsx), or give the compiled JavaScript module',
    );
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
  registered = true;
}

/** The ES module entry of tsx's register API, as seen from `from`, if tsx is installed there. */
function tsxEsmApi(from: string): string | undefined {
  try {
    const manifestPath = createRequire(from).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      exports?: Record<string, { import?: { default?: string } | string } | undefined>;
    };
    const entry = manifest.exports?.['./esm/api']?.import;
    const file = typeof entry === 'string' ? entry : entry?.default;
    return file === undefined ? undefined : path.join(path.dirname(manifestPath), file);
  } catch {
    return undefined;
  }
}
