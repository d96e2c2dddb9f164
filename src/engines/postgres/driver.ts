/**
 * Loads `pg`, the PostgreSQL driver, which the package declares as an optional peer dependency:
 * an application that never stores on PostgreSQL does not install it, and nothing else in the
 * package loads it.
 *
 * Guarantees:
 * - `pg` is loaded when the first store is made (`postgresStore(...)`), not when
 *   `omniscient-actors/postgres` is imported, so an application may import every engine and
 *   install the driver of only the one it configures.
 * - When `pg` is not installed, the call fails at once with `UsageError` naming the package to
 *   install; any other failure while loading it (an installed `pg` that is broken) is passed on
 *   as it is, so it is not mistaken for a missing package.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { UsageError } from '../../errors.js';

export type PgDriver = typeof pg;

const DRIVER = 'pg';

// `require`, not `import()`: it is synchronous, so `postgresStore` stays synchronous and the
// module has no top-level await (which would stop CommonJS applications from `require`-ing it).
const requireFromHere = createRequire(import.meta.url);

let loaded: PgDriver | undefined;

export function loadPgDriver(): PgDriver {
  if (loaded === undefined) loaded = requireDriver();
  return loaded;
}

function requireDriver(): PgDriver {
  try {
    return requireFromHere(DRIVER) as PgDriver;
  } catch (error) {
    if (!isDriverMissing(error)) throw error;
    throw new UsageError(
      `the PostgreSQL store needs the "${DRIVER}" package, which is not installed: ` +
        `run \`npm install ${DRIVER}\` in your application (and \`npm install --save-dev @types/${DRIVER}\` ` +
        'for TypeScript)',
      { cause: error },
    );
  }
}

/** True when `pg` itself cannot be found, not a module that an installed `pg` requires. */
function isDriverMissing(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 'MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    message.startsWith(`Cannot find module '${DRIVER}'`)
  );
}
