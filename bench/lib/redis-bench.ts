/**
 * What every Redis benchmark shares: the server (`OMNISCIENT_BENCH_REDIS_URL`, default a local
 * server on 6379), the check that it can be reached (a benchmark is skipped with a message, not
 * failed, when it cannot), the settings saved with the results (the server's version and how it
 * persists), fresh key prefixes, and the deletion of every key a run wrote.
 *
 * Every run works under a prefix of its own (`{bench-<pid>-<n>-<label>}:…`, the braces being the
 * engine's hash tag, used for the raw baselines' keys too), whose keys are deleted afterwards.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { BenchmarkOptions } from './benchmark.js';
import type { BenchmarkResult } from './report.js';

export const REDIS_URL = process.env['OMNISCIENT_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Concurrent writers (async callers in one process) the append cases run with. */
export const WRITER_COUNTS = [1, 8, 64] as const;

export type RedisServerInfo =
  | { readonly unreachable: string }
  | { readonly version: string; readonly persistence: Readonly<Record<string, string>> };

let serverInfo: Promise<RedisServerInfo> | undefined;

/** The server's version and persistence settings, or why it cannot be reached. Asked once per process. */
export function redisServerInfo(): Promise<RedisServerInfo> {
  serverInfo ??= (async (): Promise<RedisServerInfo> => {
    const client = new Redis(REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 3000,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const info = await client.info('server');
      const version = /^redis_version:(.*)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
      const persistence: Record<string, string> = {};
      for (const setting of ['appendonly', 'appendfsync', 'save']) {
        // A user without CONFIG still runs the benchmarks; the setting is then unknown.
        const answer = (await client.config('GET', setting).catch(() => [])) as string[];
        persistence[setting] = answer[1] ?? 'unknown';
      }
      return { version, persistence };
    } catch (error) {
      return { unreachable: error instanceof Error ? error.message || error.name : String(error) };
    } finally {
      client.disconnect();
    }
  })();
  return serverInfo;
}

/** `redis://user:secret@host/0` → `redis://user@host/0`, for messages and results. */
export function describeRedisUrl(url: string = REDIS_URL): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

let prefixCounter = 0;

/** A prefix no other run uses (the process id keeps two runs on one server apart). */
export function freshPrefix(label: string): string {
  prefixCounter++;
  return `bench-${process.pid}-${prefixCounter}-${label}`;
}

/** The key `name` under `prefix`, hash-tagged as the engine's keys are. */
export function prefixedKey(prefix: string, name: string): string {
  return `{${prefix}}:${name}`;
}

/** A plain ioredis connection to the benchmark server, for the raw baselines and the clean-up. */
export function rawClient(): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

/** Deletes every key under `prefix`. */
export async function dropPrefix(prefix: string, client?: Redis): Promise<void> {
  const own = client ?? rawClient();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await own.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await own.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    if (client === undefined) own.disconnect();
  }
}

/** A durability logger that keeps what `ready()` says, for the results, rather than printing it. */
export class KeptWarnings {
  readonly messages: string[] = [];
  warn(message: string): void {
    if (!this.messages.includes(message)) this.messages.push(message);
  }
}

/**
 * Runs `body` against the server, or answers a skipped result saying why the server cannot be
 * reached. `settings` are what every Redis result carries: the server, its persistence, ioredis.
 */
export async function runRedisBenchmark<Result extends BenchmarkResult>(
  benchmark: string,
  description: string,
  options: BenchmarkOptions,
  skippedResult: (skipped: string) => Result,
  body: (settings: Readonly<Record<string, unknown>>) => Promise<Result>,
): Promise<Result> {
  const server = await redisServerInfo();
  if ('unreachable' in server) {
    const skipped =
      `Redis server at ${describeRedisUrl()} unreachable (${server.unreachable}); ` +
      `set OMNISCIENT_BENCH_REDIS_URL to run the Redis benchmarks`;
    options.progress(`${benchmark}: skipped: ${skipped}`);
    return skippedResult(skipped);
  }
  return body({
    server: describeRedisUrl(),
    serverVersion: server.version,
    persistence: server.persistence,
    ioredis: packageVersion('ioredis'),
  });
}

/** A benchmark that measured the wrong work would be worse than none: check what each run did. */
export function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
