/**
 * The stores a cluster can share, made fresh for each test and removed afterwards: a new SQLite
 * file in a temporary directory (every process of the machine opens it), a new PostgreSQL schema, or
 * a new Redis prefix.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/index.js';
import { POSTGRES_URL, withAdmin } from '../engines/postgres/server.js';
import { dropPrefixes, REDIS_URL } from '../engines/redis/server.js';
import { openSharedStore, type SharedStore } from './workers/shared-store.js';

export interface FreshSharedStore {
  /** What the workers are told to open. */
  readonly shared: SharedStore;
  /** The parent's own connection to it, for seeding and for checking what is stored. */
  readonly store: EventStore;
  /** Closes the parent's connection and removes the store. */
  dispose(): Promise<void>;
}

export interface ClusterEngine {
  readonly name: string;
  create(): Promise<FreshSharedStore>;
}

export const sqliteCluster: ClusterEngine = {
  name: 'SQLite',
  async create() {
    const directory = mkdtempSync(join(tmpdir(), 'omniscient-cluster-'));
    const shared: SharedStore = { engine: 'sqlite', file: join(directory, 'shared.sqlite') };
    // The parent opens it first, so the workers share a file that already has its schema.
    const store = await openSharedStore(shared);
    return {
      shared,
      store,
      async dispose() {
        await store.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

export const postgresCluster: ClusterEngine = {
  name: 'PostgreSQL',
  async create() {
    const schema = `cluster_${randomBytes(6).toString('hex')}`;
    const shared: SharedStore = { engine: 'postgres', connectionString: POSTGRES_URL, schema };
    // The parent creates the schema, so the workers share one that is already there.
    const store = await openSharedStore(shared);
    return {
      shared,
      store,
      async dispose() {
        await store.close();
        await withAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      },
    };
  },
};

export const redisCluster: ClusterEngine = {
  name: 'Redis',
  async create() {
    const prefix = `cluster-${randomBytes(6).toString('hex')}`;
    const shared: SharedStore = { engine: 'redis', url: REDIS_URL, prefix };
    const store = await openSharedStore(shared);
    return {
      shared,
      store,
      async dispose() {
        await store.close();
        await dropPrefixes([prefix]);
      },
    };
  },
};
