/**
 * The Redis engine: a store that processes on many machines share, on one Redis server (or one
 * slot of a Redis Cluster), through `ioredis`. It supplies its storage primitives to the shared
 * facade (`store-facade.ts`), which does every check the engines share.
 *
 * Guarantees, on top of the engine interface's:
 * - An append is one Lua script (`append-script.ts`): the retry rule, the fencing check, the
 *   expected-version check, the writes and the notification happen in one atomic step, or none of
 *   them does. Redis runs one script at a time, so positions are given in commit order, dense from 1.
 * - Subscriptions follow by position, woken by this store's own appends and by one pub/sub
 *   connection per store for the others' (`redis-wakeups.ts`); a lost connection catches up.
 * - A lease call is one Lua script on Redis's clock (`lease-script.ts`); renewing every lease of a
 *   holder is one call.
 * - A snapshot save is one script that never puts an older state back.
 * - Every key shares the hash tag `{prefix}` (`keys.ts`), so a store fits one slot of a cluster.
 * - Durability is Redis's: `ready()` reads its persistence settings and warns, through `logger`,
 *   when acknowledged events can be lost (`durability.ts`).
 * - Stream ids, names and every value reach Redis as keys or arguments, never as script text.
 */
import type { Redis } from 'ioredis';
import { DuplicateEventError, UsageError } from '../../errors.js';
import { appendResultOf, findRetriedRun, storedEventOf } from '../append-results.js';
import { checkExpectedVersion, checkFencingTerm, type PreparedEvent } from '../append-rules.js';
import type {
  AppendResult,
  EventStore,
  ExpectedVersion,
  LeaseAnswer,
  Snapshot,
  StoreOptions,
} from '../engine.js';
import { readOptions, resolveConnectionRetryMs, resolveStoreOptions } from '../options.js';
import { engineStore, type EngineStorage } from '../store-facade.js';
import { SubscriptionHub } from '../subscription-hub.js';
import { APPEND_SCRIPT } from './append-script.js';
import { warnAboutDurability, type DurabilityLogger } from './durability.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from './keys.js';
import { LEASE_SCRIPT } from './lease-script.js';
import {
  closeConnection,
  connectionName,
  loadRedisDriver,
  LuaScript,
  neverHoldTheProcess,
  ownConnectionOptions,
  typedError,
  withRetry,
  type CallSettings,
  type RedisClient,
} from './redis-connection.js';
import { redisReads } from './redis-reads.js';
import { eventFromRecord } from './redis-records.js';
import { redisWakeups } from './redis-wakeups.js';
import { SNAPSHOT_SCRIPT, snapshotRecord, snapshotFromRecord } from './redis-snapshots.js';

export const DEFAULT_CONNECTION_RETRY_MS = 10_000;

/**
 * Where the store is: a Redis URL (`redis://user:password@host:6379/0`, `rediss://` for TLS), for
 * a connection the store makes and closes; or an `ioredis` client (a `Redis`, or a `Cluster`) the
 * caller made and keeps (the store never closes it; it opens one more connection of the same kind
 * for notifications, with `duplicate()`).
 */
export type RedisConnection = { readonly url: string } | { readonly client: object };

export interface RedisStoreOptions extends StoreOptions {
  /**
   * What every key of the store starts with, in braces (default `'omniscient'`: keys are
   * `{omniscient}:…`): 1 to 64 characters, no braces. Stores with different prefixes are independent.
   */
  prefix?: string;
  /** How long a call retries a server it cannot reach, in milliseconds (default 10 000; 0 fails at once). */
  connectionRetryMs?: number;
  /** Where `ready()` says that acknowledged events can be lost (default: `console`). */
  logger?: DurabilityLogger;
}

export interface RedisEventStore extends EventStore {
  readonly engine: 'redis';
  readonly prefix: string;
  /**
   * Connects, loads the scripts and reads the server's persistence settings (warning through the
   * logger when acknowledged events can be lost); every other call does the first two anyway.
   */
  ready(): Promise<void>;
}

export function redisStore(connection: RedisConnection, options?: RedisStoreOptions | null): RedisEventStore {
  const driver = loadRedisDriver();
  const storeOptions = resolveStoreOptions(options);
  const settings = readOptions('the redisStore options', () => ({
    keys: redisKeys(options?.prefix ?? DEFAULT_PREFIX),
    retryMs: resolveConnectionRetryMs(options?.connectionRetryMs, DEFAULT_CONNECTION_RETRY_MS),
    logger: options?.logger ?? console,
  }));
  const prefix = options?.prefix ?? DEFAULT_PREFIX;
  const clients = readOptions('the redisStore connection', () =>
    connectionOf(
      driver,
      connection,
      prefix,
      settings.retryMs > 0 ? settings.retryMs : DEFAULT_CONNECTION_RETRY_MS,
    ),
  );
  let closed = false;
  let trouble: unknown;
  const onError = (error: unknown) => (trouble = error);
  const onReady = () => (trouble = undefined);
  clients.command.on('error', onError);
  clients.command.on('ready', onReady);
  const call: CallSettings = {
    title: `the Redis store ${clients.description}`,
    connectionRetryMs: settings.retryMs,
    closed: () => closed,
    connectionTrouble: () => trouble,
    reopen: () => {
      const own = clients.command as Redis;
      if (clients.owned && !closed && (own.status === 'end' || own.status === 'wait')) {
        own.connect().catch(() => undefined);
      }
    },
  };
  // A client of the caller's outlives the store: what the store hung on it comes off at close.
  const forget = () => {
    clients.command.off('error', onError);
    clients.command.off('ready', onReady);
  };
  const storage = redisStorage(clients, settings.keys, call, () => {
    closed = true;
    forget();
  });
  const store = engineStore({
    engine: 'redis',
    title: call.title,
    options: storeOptions,
    storage,
    prepare: async () => {
      await withRetry(call, async () => {
        if (clients.owned && (clients.command as Redis).status === 'wait')
          await (clients.command as Redis).connect();
        await clients.command.script('LOAD', APPEND_SCRIPT);
        await clients.command.script('LOAD', LEASE_SCRIPT);
        await clients.command.script('LOAD', SNAPSHOT_SCRIPT);
      });
      await withRetry(call, () => warnAboutDurability(clients.command, call.title, settings.logger));
    },
  });
  return { ...store, engine: 'redis', prefix: options?.prefix ?? DEFAULT_PREFIX };
}

interface Clients {
  readonly command: RedisClient;
  readonly owned: boolean;
  readonly description: string;
  /** A new connection for notifications (pub/sub needs one of its own). */
  readonly subscriber: () => Redis;
}

function connectionOf(
  driver: ReturnType<typeof loadRedisDriver>,
  connection: RedisConnection,
  prefix: string,
  commandTimeoutMs: number,
): Clients {
  if (typeof connection !== 'object' || connection === null) {
    throw new UsageError('redisStore takes { url } or { client }');
  }
  if ('url' in connection) {
    const { url } = connection;
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new UsageError(
        `a Redis URL starts with redis:// or rediss://, got ${JSON.stringify(String(url)).slice(0, 80)}`,
      );
    }
    const command = new driver.Redis(
      url,
      ownConnectionOptions(connectionName(prefix, 'command'), commandTimeoutMs),
    );
    neverHoldTheProcess(command);
    return {
      command,
      owned: true,
      description: redactUrl(url),
      subscriber: () =>
        new driver.Redis(url, {
          ...ownConnectionOptions(connectionName(prefix, 'notify'), 0),
          retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
          autoResubscribe: false,
          lazyConnect: false,
          enableOfflineQueue: true,
          maxRetriesPerRequest: null,
        }),
    };
  }
  if ('client' in connection) {
    const client = connection.client as RedisClient;
    if (!(client instanceof driver.Redis) && !(client instanceof driver.Cluster)) {
      throw new UsageError('redisStore({ client }) takes an ioredis Redis or Cluster client');
    }
    refuseSplitKeys(client);
    return {
      command: client,
      owned: false,
      description: 'on the client given',
      // Whatever the caller's client does with commands sent while it connects, the notification
      // connection queues them (its subscription is made on every 'ready').
      subscriber: () =>
        (client instanceof driver.Cluster
          ? client.duplicate(undefined, {
              enableOfflineQueue: true,
              lazyConnect: false,
              autoResubscribe: false,
            })
          : client.duplicate({
              connectionName: connectionName(prefix, 'notify'),
              enableOfflineQueue: true,
              lazyConnect: false,
              autoResubscribe: false,
              maxRetriesPerRequest: null,
            })) as unknown as Redis,
    };
  }
  throw new UsageError('redisStore takes { url } or { client }');
}

/**
 * A Cluster runs a script only on keys of one slot. The store's keys all carry the hash tag
 * `{prefix}`; a client `keyPrefix` comes before it and must not bring a tag of its own that differs.
 */
function refuseSplitKeys(client: RedisClient): void {
  const keyPrefix = (client as { options?: { keyPrefix?: unknown } }).options?.keyPrefix;
  if (typeof keyPrefix !== 'string' || keyPrefix === '') return;
  const tags = ['{p}:head', '{p}:stream:x'].map((key) => hashTag(`${keyPrefix}${key}`));
  if (tags[0] !== tags[1]) {
    throw new UsageError(
      `the client's keyPrefix "${keyPrefix}" would spread the store's keys over several cluster slots`,
    );
  }
}

/** What Redis Cluster hashes a key by: the text between the first `{` and the next `}`, if not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    // ioredis also takes a password from the query.
    for (const name of [...parsed.searchParams.keys()]) {
      if (/pass/i.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return 'at the URL given';
  }
}

function redisStorage(
  clients: Clients,
  keys: RedisKeys,
  call: CallSettings,
  markClosed: () => void,
): EngineStorage {
  const client = () => clients.command;
  const appendScript = new LuaScript(APPEND_SCRIPT);
  const leaseScript = new LuaScript(LEASE_SCRIPT);
  const snapshotScript = new LuaScript(SNAPSHOT_SCRIPT);
  const reads = redisReads(client, keys);
  const retry = <T>(work: () => Promise<T>) => withRetry(call, work);
  const hub = new SubscriptionHub({
    readAfter: (position, limit) => retry(() => reads.readAfter(position, limit)),
    lastPosition: () => retry(() => reads.lastPosition()),
    onActiveChange: (active) => wakeups.setActive(active),
  });
  const wakeups = redisWakeups({
    connect: clients.subscriber,
    channel: keys.appended,
    title: call.title,
    wake: () => hub.wake(),
    reportError: (error) => hub.reportError(error),
  });
  const leases = (args: readonly (string | number)[]) =>
    retry(() => leaseScript.run(client(), [keys.leases, keys.holders, keys.holderUses], args));

  return {
    async append(stream, batch, expected, fencingTerm) {
      const answer = (await retry(() =>
        appendScript.run(
          client(),
          [
            keys.head,
            keys.events,
            keys.ids,
            keys.versions,
            keys.terms,
            keys.streams,
            keys.names,
            keys.stream(stream),
          ],
          appendArguments(stream, batch, expected, fencingTerm, keys.appended),
        ),
      )) as unknown[];
      const result = appendAnswer(stream, batch, expected, fencingTerm, answer);
      if (result.events.length > 0 && hub.active) queueMicrotask(() => hub.wake());
      return result;
    },
    readStream: (stream, range) => retry(() => reads.readStream(stream, range)),
    readAll: (options) => retry(() => reads.readAll(options)),
    streamVersion: (stream) => retry(() => reads.streamVersion(stream)),
    listStreams: (options) => retry(() => reads.listStreams(options)),
    async saveSnapshot(prepared, at) {
      await retry(() =>
        snapshotScript.run(
          client(),
          [keys.snapshots],
          [JSON.stringify([prepared.stream, prepared.key]), prepared.version, snapshotRecord(prepared, at)],
        ),
      );
    },
    async readSnapshot(stream, key): Promise<Snapshot | undefined> {
      const record = await retry(() => client().hget(keys.snapshots, JSON.stringify([stream, key])));
      return record === null ? undefined : snapshotFromRecord(record, stream, key);
    },
    acquireLease: async (name, holder, ttlMs) =>
      leaseAnswer(name, (await leases(['acquire', name, holder, ttlMs])) as unknown[]),
    takeOverLease: async (name, holder, ttlMs, term) =>
      leaseAnswer(name, (await leases(['takeover', name, holder, ttlMs, term])) as unknown[]),
    async renewLeases(holder, ttlMs) {
      const answer = (await leases(['renew', holder, ttlMs])) as unknown[];
      if (answer.length === 0) return undefined;
      const [expiresAt, now] = answer.map(Number) as [number, number];
      return { holder, expiresAt: new Date(expiresAt).toISOString(), expiresInMs: expiresAt - now };
    },
    releaseLease: async (name, holder) => Number(await leases(['release', name, holder])) === 1,
    async releaseHolder(holder) {
      await leases(['releaseHolder', holder]);
    },
    async readLease(name) {
      const [term, holder, expiresAt, now] = (await leases(['read', name])) as [
        number,
        string,
        number,
        number,
      ];
      if (holder === '') return { name, term: Number(term), held: undefined };
      return {
        name,
        term: Number(term),
        held: {
          name,
          holder,
          term: Number(term),
          expiresAt: new Date(Number(expiresAt)).toISOString(),
          expiresInMs: Number(expiresAt) - Number(now),
        },
      };
    },
    subscribe: (listener, options) => hub.subscribe(listener, options),
    async close() {
      markClosed();
      await hub.closeAll();
      await wakeups.close();
      if (clients.owned) {
        await closeConnection(clients.command as Redis);
      }
    },
  };
}

function appendArguments(
  stream: string,
  batch: readonly PreparedEvent[],
  expected: ExpectedVersion,
  fencingTerm: number | undefined,
  channel: string,
): (string | number)[] {
  const kind = typeof expected === 'number' ? 'exact' : expected;
  const args: (string | number)[] = [
    stream,
    JSON.stringify(stream),
    kind,
    typeof expected === 'number' ? expected : 0,
    fencingTerm ?? '',
    channel,
    batch.length,
  ];
  for (const event of batch) {
    args.push(
      event.id,
      JSON.stringify(event.id),
      JSON.stringify(event.name),
      event.name,
      JSON.stringify(event.at),
      event.dataJson,
      event.metaJson,
    );
  }
  return args;
}

function appendAnswer(
  stream: string,
  batch: readonly PreparedEvent[],
  expected: ExpectedVersion,
  fencingTerm: number | undefined,
  answer: unknown[],
): AppendResult {
  const [outcome, ...rest] = answer;
  switch (outcome) {
    case 'stored': {
      const first = Number(rest[0]);
      const current = Number(rest[1]);
      if (batch.length === 0) return { stream, events: [], version: current };
      return appendResultOf(
        stream,
        batch.map((event, index) =>
          storedEventOf(
            event,
            stream,
            current + index + 1,
            first + index,
            JSON.parse(event.metaJson) as unknown,
          ),
        ),
      );
    }
    case 'conflict':
      checkExpectedVersion(stream, expected, Number(rest[0]));
      break;
    case 'fenced':
      checkFencingTerm(stream, fencingTerm, Number(rest[0]));
      break;
    case 'duplicate':
      throw new DuplicateEventError(String(rest[0]), stream);
    case 'retry': {
      // The script found the batch's first id in this stream and sent the run it would retry;
      // the rule that judges it is the one every engine shares.
      const events = rest.map((record) => eventFromRecord(String(record), { stream }));
      const run = findRetriedRun(stream, batch, {
        locate: () => ({ stream, version: events[0]?.version ?? 0 }),
        run: () => events,
        matches: (event, prepared) =>
          event.id === prepared.id &&
          event.name === prepared.name &&
          JSON.stringify(event.data) === prepared.dataJson,
      });
      return appendResultOf(stream, [...(run ?? [])]);
    }
  }
  throw typedError(
    `the Redis store`,
    new Error(`the append script answered ${JSON.stringify(answer).slice(0, 200)}`),
  );
}

function leaseAnswer(name: string, answer: unknown[]): LeaseAnswer {
  const [granted, holder, term, expiresAt, now] = answer;
  const lease = {
    name,
    holder: String(holder),
    term: Number(term),
    expiresAt: new Date(Number(expiresAt)).toISOString(),
    expiresInMs: Number(expiresAt) - Number(now),
  };
  return Number(granted) === 1 ? { granted: true, ...lease } : { granted: false, ...lease };
}
