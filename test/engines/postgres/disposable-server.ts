/**
 * A PostgreSQL server of a test's own, for the specifications that must stop, restart or
 * misconfigure a server, which the shared one (used by tests running in parallel, with trust
 * authentication) cannot be made to do.
 *
 * `createDisposableServer()` runs `initdb` into a new temporary directory with scram-sha-256
 * authentication and a password for the `postgres` role, then starts the server with `pg_ctl` on a
 * free port of 127.0.0.1 (its socket in the same directory). The server process runs as the
 * `postgres` OS user when the test runs as root (PostgreSQL refuses to run as root), as the test's
 * own user otherwise. `remove()` stops it and deletes the directory.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DisposableServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connection string to the `postgres` database, with the right password unless one is given. */
  url(password?: string): string;
  start(): Promise<void>;
  /** Stops the server: `'fast'` ends sessions and rolls back what is in flight; `'immediate'` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server if it runs and deletes its files. */
  remove(): Promise<void>;
}

/** The directory of `initdb` and `pg_ctl`, or `undefined` when this machine has none. */
export function postgresBinaries(): string | undefined {
  const candidates = [
    process.env.OMNISCIENT_PG_BIN,
    ...listVersions('/usr/lib/postgresql').map((version) => `/usr/lib/postgresql/${version}/bin`),
    '/usr/local/pgsql/bin',
    '/opt/homebrew/bin',
    '/usr/local/bin',
    '/usr/bin',
  ];
  return candidates.find(
    (directory) =>
      directory !== undefined &&
      existsSync(join(directory, 'initdb')) &&
      existsSync(join(directory, 'pg_ctl')),
  );
}

function listVersions(directory: string): string[] {
  try {
    return readdirSync(directory)
      .filter((name) => /^\d+$/.test(name))
      .sort((left, right) => Number(right) - Number(left));
  } catch {
    return [];
  }
}

/** Creates and starts a server; call `remove()` when done, even after a failure. */
export async function createDisposableServer(): Promise<DisposableServer> {
  const binaries = postgresBinaries();
  if (binaries === undefined) throw new Error('no PostgreSQL binaries (initdb, pg_ctl) on this machine');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  const directory = mkdtempSync(join(tmpdir(), 'omniscient-pg-'));
  if (owner) chownSync(directory, owner.uid, owner.gid);
  const data = join(directory, 'data');
  const log = join(directory, 'server.log');
  const password = `secret-${Math.random().toString(36).slice(2)}`;
  const passwordFile = join(directory, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  chmodSync(passwordFile, 0o600);

  /** Runs one of the server's programs as the user that owns the server's files. */
  const program = async (name: string, args: readonly string[]): Promise<void> => {
    const command = join(binaries, name);
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, [...args]];
    try {
      await run(file, argv, { cwd: directory, timeout: 60_000 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`${name} ${args.join(' ')} failed: ${String(error)}\n${stdout}\n${stderr}`);
    }
  };

  const port = await freePort();
  let running = false;
  const server: DisposableServer = {
    port,
    user: 'postgres',
    password,
    url: (given = password) => `postgres://postgres:${encodeURIComponent(given)}@127.0.0.1:${port}/postgres`,
    async start() {
      await program('pg_ctl', [
        '-D',
        data,
        '-l',
        log,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -k ${directory} -c fsync=off -c max_connections=40`,
        'start',
      ]);
      running = true;
    },
    async stop(mode = 'fast') {
      await program('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async restart() {
      await program('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', '-l', log, 'restart']);
      running = true;
    },
    async remove() {
      if (running) await server.stop('immediate').catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    await program('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${passwordFile}`,
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await server.start();
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A TCP port of 127.0.0.1 that nothing listens on at the moment. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
