/**
 * A Redis server of a test's own, on a free port with its files in a temporary folder, that the
 * test may kill and start again (the shared server is never touched). It writes every command to
 * its append-only file before answering (`appendfsync always`), so a restart keeps what it
 * acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export const REDIS_SERVER = process.env['OMNISCIENT_REDIS_SERVER'] ?? 'redis-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class DisposableRedis {
  #child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly folder: string,
  ) {}

  static async start(): Promise<DisposableRedis> {
    const server = new DisposableRedis(
      await freePort(),
      mkdtempSync(path.join(tmpdir(), 'omniscient-redis-')),
    );
    await server.startAgain();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startAgain(): Promise<void> {
    this.#child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.folder,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(this.port);
  }

  /** Kills the server at once (SIGKILL): what it had not acknowledged is lost, nothing else. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/**
 * A Redis Cluster of a test's own: three primaries on free ports, no replicas, nothing on disk,
 * made with `redis-cli --cluster create`.
 */
export class DisposableRedisCluster {
  private constructor(
    readonly ports: readonly number[],
    readonly folder: string,
    readonly children: readonly ChildProcess[],
  ) {}

  static async start(): Promise<DisposableRedisCluster> {
    const folder = mkdtempSync(path.join(tmpdir(), 'omniscient-redis-cluster-'));
    const ports = [await freePort(), await freePort(), await freePort()];
    const children = ports.map((port) =>
      spawn(
        REDIS_SERVER,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          folder,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--appendonly',
          'no',
          '--save',
          '',
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new DisposableRedisCluster(ports, folder, children);
    for (const port of ports) await waitForPing(port);
    const created = spawn(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdio: 'ignore' },
    );
    const code = await new Promise<number | null>((resolve) => created.once('exit', resolve));
    if (code !== 0) {
      await cluster.dispose();
      throw new Error(`redis-cli --cluster create exited ${code}`);
    }
    await cluster.#waitUntilReady();
    return cluster;
  }

  get nodes(): { host: string; port: number }[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  async #waitUntilReady(): Promise<void> {
    for (const port of this.ports) {
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        for (let attempt = 0; ; attempt++) {
          const info = await client.cluster('INFO');
          if (String(info).includes('cluster_state:ok')) break;
          if (attempt > 200) throw new Error(`the cluster node on ${port} never became ready`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        client.disconnect();
      }
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.folder, { recursive: true, force: true });
  }
}

async function waitForPing(port: number): Promise<void> {
  const probe = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (attempt > 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  } finally {
    probe.disconnect();
  }
}
