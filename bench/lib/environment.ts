/**
 * The machine and code a benchmark ran on, saved with its results: a figure means little without
 * the CPU, the Node version, the disk under the database file and the commit it measured.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import Database from 'better-sqlite3';

export interface Environment {
  readonly date: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly loadAverage: readonly number[];
  readonly betterSqlite3: string;
  readonly sqlite: string;
  readonly tmpdir: string;
  /** The file system under `tmpdir`, where the database files live: tmpfs makes `fsync` free. */
  readonly tmpdirFileSystem: string | null;
  readonly gitCommit: string | null;
  /** Whether the working tree had uncommitted changes, so the commit alone does not say what ran. */
  readonly gitDirty: boolean | null;
}

export function environment(): Environment {
  const cpus = os.cpus();
  const memory = new Database(':memory:');
  const sqlite = (memory.prepare('SELECT sqlite_version() AS version').get() as { version: string }).version;
  memory.close();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    betterSqlite3: packageVersion('better-sqlite3'),
    sqlite,
    tmpdir: os.tmpdir(),
    tmpdirFileSystem: fileSystemOf(os.tmpdir()),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: dirtiness(),
  };
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a repository, no commit yet, or no git at all: the results stand without it.
    return null;
  }
}

function dirtiness(): boolean | null {
  const status = git(['status', '--porcelain']);
  return status === null ? null : status.length > 0;
}

/** The type of the longest mount point containing `path`, from /proc/mounts (Linux only). */
function fileSystemOf(path: string): string | null {
  try {
    let best: { mount: string; type: string } | undefined;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (mount === undefined || type === undefined) continue;
      const contains = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
      if (contains && (best === undefined || mount.length > best.mount.length)) best = { mount, type };
    }
    return best?.type ?? null;
  } catch {
    return null;
  }
}
