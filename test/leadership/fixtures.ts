/**
 * What the leadership specifications share: the engines they run on (each gives several
 * connections to one store, as separate processes would have), a store wrapper that counts calls
 * or fails them on demand, and a recorder of what each campaign was told, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStore, StoreUnavailableError, type EventStore } from '../../src/index.js';
import type { CampaignCallbacks, DeposedReason } from '../../src/leadership/campaign.js';
import { postgresStore } from '../../src/postgres.js';
import { sqliteStore } from '../../src/sqlite.js';
import { freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';
import { redisStore } from '../../src/redis.js';
import { freshPrefix, REDIS_URL } from '../engines/redis/server.js';

export interface LeadershipEngine {
  readonly name: string;
  /** A new store; `connect()` opens another connection to it (the same object on memory). */
  open(): { connect(): EventStore; close(): Promise<void> };
}

export const memoryEngine: LeadershipEngine = {
  name: 'memory',
  open() {
    const store = memoryStore();
    return { connect: () => store, close: () => store.close() };
  },
};

export const sqliteFileEngine: LeadershipEngine = {
  name: 'SQLite file',
  open() {
    const directory = mkdtempSync(join(tmpdir(), 'omniscient-leadership-'));
    const opened: EventStore[] = [];
    return {
      connect() {
        const store = sqliteStore({ file: join(directory, 'leases.sqlite') });
        opened.push(store);
        return store;
      },
      async close() {
        await Promise.all(opened.map((store) => store.close()));
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

export const postgresEngine: LeadershipEngine = {
  name: 'PostgreSQL',
  open() {
    const schema = freshSchema();
    const opened: EventStore[] = [];
    return {
      connect() {
        const store = postgresStore({ connectionString: POSTGRES_URL, poolSize: 3 }, { schema });
        opened.push(store);
        return store;
      },
      async close() {
        await Promise.all(opened.map((store) => store.close()));
      },
    };
  },
};

export const redisEngine: LeadershipEngine = {
  name: 'Redis',
  open() {
    const prefix = freshPrefix();
    const opened: EventStore[] = [];
    return {
      connect() {
        const store = redisStore({ url: REDIS_URL }, { prefix, logger: { warn: () => undefined } });
        opened.push(store);
        return store;
      },
      async close() {
        await Promise.all(opened.map((store) => store.close()));
      },
    };
  },
};

/** The same store, with each lease call counted, and failing on demand (a store down for this process). */
export class WatchedStore {
  readonly store: EventStore;
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** The calls answered (resolved or rejected), by method. */
  readonly #answered = new Map<string, number>();
  /** The lease methods that reject with `StoreUnavailableError` for now. */
  readonly failing = new Set<string>();

  constructor(inner: EventStore) {
    this.store = new Proxy(inner, {
      get: (target, key) => {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        const method = String(key);
        return (...args: unknown[]) => {
          this.calls.push({ method, args });
          if (this.failing.has(method)) {
            return Promise.reject(new StoreUnavailableError(`${method} fails for this test`));
          }
          const result = (value as (...args: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          const note = () => this.#answered.set(method, this.answered(method) + 1);
          result.then(note, note);
          return result;
        };
      },
    });
  }

  count(method: string): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  answered(method: string): number {
    return this.#answered.get(method) ?? 0;
  }

  /** Every lease call fails from now on, as for a process cut off from its store. */
  cutOff(): void {
    for (const method of ['acquireLease', 'renewLeases', 'releaseLease', 'releaseHolder']) {
      this.failing.add(method);
    }
  }
}

export type Told =
  | { readonly who: string; readonly what: 'elected'; readonly term: number }
  | { readonly who: string; readonly what: 'deposed'; readonly reason: DeposedReason };

/** Records, in one list shared by every campaign of a test, what each was told. */
export class Recorder {
  readonly told: Told[] = [];

  callbacks(who: string, extra: Partial<CampaignCallbacks> = {}): CampaignCallbacks {
    return {
      onElected: (term) => {
        this.told.push({ who, what: 'elected', term });
        extra.onElected?.(term);
      },
      onDeposed: (reason) => {
        this.told.push({ who, what: 'deposed', reason });
        extra.onDeposed?.(reason);
      },
    };
  }

  elections(who?: string): number[] {
    return this.told.flatMap((told) =>
      told.what === 'elected' && (who === undefined || told.who === who) ? [told.term] : [],
    );
  }

  indexOf(who: string, what: Told['what']): number {
    return this.told.findIndex((told) => told.who === who && told.what === what);
  }
}

/** Resolves once `condition` holds; fails (saying `what`) only after a generous wait. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const giveUpAt = performance.now() + 20_000;
  while (!(await condition())) {
    if (performance.now() > giveUpAt) throw new Error(`gave up waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
