/**
 * The Redis keys of one store. Every key starts with `{prefix}:`: the braces make the prefix the
 * key's hash tag, so on a Redis Cluster every key of one store lives in one slot, which is what
 * lets one Lua script read and write them all atomically. It also means one store lives on one
 * node of a cluster: a cluster spreads many stores (many prefixes), never one.
 *
 * The keys:
 * - `head`: the last position given (a counter);
 * - `events`: hash, position → the stored event, as a JSON array (see `redis-records.ts`);
 * - `ids`: hash, event id → "position version stream" (the retry rule, and duplicate ids);
 * - `versions`: hash, stream → its version; `terms`: hash, stream → the highest fencing term;
 * - `streams`: sorted set of stream ids, all of score 0, so that they sort by id (lists);
 * - `names`: sorted set of "name\0position" (16 digits), all of score 0 (events by name);
 * - `stream:<id>`: list of the positions of a stream's events, in version order;
 * - `snapshots`: hash, JSON [stream, key] → the snapshot;
 * - `leases`, `holders`, `holder-uses`: the lease tables (`redis-leases.ts`);
 * - `appended`: the pub/sub channel every append publishes its last position on.
 */
import { UsageError } from '../../errors.js';
import { describeValue } from '../describe-value.js';

export const DEFAULT_PREFIX = 'omniscient';

export interface RedisKeys {
  readonly head: string;
  readonly events: string;
  readonly ids: string;
  readonly versions: string;
  readonly terms: string;
  readonly streams: string;
  readonly names: string;
  readonly snapshots: string;
  readonly leases: string;
  readonly holders: string;
  readonly holderUses: string;
  readonly appended: string;
  stream(id: string): string;
}

/**
 * A prefix is 1 to 64 characters without braces (a brace would change the hash tag) and without
 * control characters.
 */
export function redisKeys(prefix: unknown = DEFAULT_PREFIX): RedisKeys {
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 64 || /[{}\p{Cc}]/u.test(prefix)) {
    throw new UsageError(
      `a Redis store's prefix must be 1 to 64 characters without braces or control characters, got ${describeValue(prefix)}`,
    );
  }
  const key = (name: string) => `{${prefix}}:${name}`;
  return {
    head: key('head'),
    events: key('events'),
    ids: key('ids'),
    versions: key('versions'),
    terms: key('terms'),
    streams: key('streams'),
    names: key('names'),
    snapshots: key('snapshots'),
    leases: key('leases'),
    holders: key('holders'),
    holderUses: key('holder-uses'),
    appended: key('appended'),
    stream: (id) => key(`stream:${id}`),
  };
}
