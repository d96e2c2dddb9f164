/**
 * Reading a Redis store: a stream through its list of positions, the whole store by position
 * (positions are dense, 1 to `head`), events by name through the `names` index, the streams
 * through the `streams` sorted set, and a stream's version. Every record read is checked
 * (`redis-records.ts`).
 */
import { CorruptEventError } from '../../errors.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { StreamInfo } from '../engine.js';
import {
  compareCodePoints,
  type ResolvedListStreams,
  type ResolvedReadAll,
  type VersionRange,
} from '../options.js';
import type { FollowedRow } from '../position-follower.js';
import type { RedisKeys } from './keys.js';
import { eventFromRecord, followedRow } from './redis-records.js';
import type { RedisClient } from './redis-connection.js';

/** Positions in the `names` index are written with 16 digits, so that they sort as numbers. */
export function namesMember(name: string, position: number): string {
  return `${name}\0${String(position).padStart(16, '0')}`;
}

export interface RedisReads {
  readStream(stream: string, range: VersionRange): Promise<StoredEvent[]>;
  readAll(options: ResolvedReadAll): Promise<StoredEvent[]>;
  streamVersion(stream: string): Promise<number>;
  listStreams(options: ResolvedListStreams): Promise<StreamInfo[]>;
  lastPosition(): Promise<number>;
  readAfter(position: number, limit: number): Promise<FollowedRow[]>;
}

export function redisReads(client: () => RedisClient, keys: RedisKeys): RedisReads {
  const recordsAt = (positions: readonly (number | string)[]) => fieldsOf(client(), keys.events, positions);

  const lastPosition = async () => wholeNumber(await client().get(keys.head), { position: 0 }, 'head');

  return {
    async readStream(stream, range) {
      const last = Math.min(range.toVersion, range.fromVersion + range.limit - 1);
      if (last < range.fromVersion) return [];
      const stop = last >= Number.MAX_SAFE_INTEGER ? -1 : last - 1;
      const positions = await client().lrange(keys.stream(stream), range.fromVersion - 1, stop);
      const records = await recordsAt(positions);
      return records.map((record, index) =>
        eventFromRecord(record, {
          stream,
          version: range.fromVersion + index,
          position: Number(positions[index]),
        }),
      );
    },

    async readAll({ after, limit, names }) {
      if (names === undefined) {
        const head = await lastPosition();
        const upTo = Math.min(head, after + limit);
        if (upTo <= after) return [];
        const positions = Array.from({ length: upTo - after }, (_, index) => after + 1 + index);
        const records = await recordsAt(positions);
        return records.map((record, index) => eventFromRecord(record, { position: positions[index] ?? 0 }));
      }
      // Read as of one moment: an event appended between two names' reads (above `head`) is left
      // for the next page, never answered while an earlier one of another name is missing.
      const head = await lastPosition();
      const found = new Set<number>();
      for (const name of names) {
        const members = await client().zrangebylex(
          keys.names,
          `[${namesMember(name, after + 1)}`,
          `(${name}\u0001`,
          'LIMIT',
          0,
          limit,
        );
        for (const member of members) {
          const position = Number(member.slice(member.lastIndexOf('\0') + 1));
          if (position <= head) found.add(position);
        }
      }
      const positions = [...found].sort((a, b) => a - b).slice(0, limit);
      const records = await recordsAt(positions);
      return records.map((record, index) => eventFromRecord(record, { position: positions[index] ?? 0 }));
    },

    async streamVersion(stream) {
      return wholeNumber(await client().hget(keys.versions, stream), { stream }, 'version');
    },

    async listStreams({ after, limit, prefix }) {
      // Ids compare by code point (as UTF-8 bytes do), not by UTF-16 unit.
      const from =
        after !== undefined && compareCodePoints(after, prefix) >= 0
          ? `(${after}`
          : prefix === ''
            ? '-'
            : `[${prefix}`;
      // Every id that starts with the prefix sorts below the prefix and a 0xFF byte, which UTF-8 never holds.
      const to = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
      const ids = await client().zrangebylex(keys.streams, from, to, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const versions = await fieldsOf(client(), keys.versions, ids);
      return ids.map((stream, index) => ({
        stream,
        version: wholeNumber(versions[index] ?? null, { stream }, 'version'),
      }));
    },

    lastPosition,

    async readAfter(position, limit) {
      const head = await lastPosition();
      const upTo = Math.min(head, position + limit);
      if (upTo <= position) return [];
      const positions = Array.from({ length: upTo - position }, (_, index) => position + 1 + index);
      const records = await recordsAt(positions);
      return records.map((record, index) => followedRow(record, positions[index] ?? 0));
    },
  };
}

/** HMGET of many fields, in chunks sent together: one call with 100 000 arguments overflows the stack. */
async function fieldsOf(
  client: RedisClient,
  key: string,
  fields: readonly (number | string)[],
): Promise<(string | null)[]> {
  if (fields.length === 0) return [];
  const CHUNK = 5000;
  const chunks: Promise<(string | null)[]>[] = [];
  for (let from = 0; from < fields.length; from += CHUNK) {
    chunks.push(client.hmget(key, ...fields.slice(from, from + CHUNK).map(String)));
  }
  return (await Promise.all(chunks)).flat();
}

function wholeNumber(
  text: string | null,
  where: { stream?: string; position?: number },
  what: string,
): number {
  if (text === null) return 0;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new CorruptEventError(where, `the stored ${what} is ${JSON.stringify(text)}, not a whole number`);
  }
  return value;
}
