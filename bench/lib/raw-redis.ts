/**
 * The raw Redis baseline: the least work that can store and read the same events with `ioredis`,
 * so that the engine's figures read as "how close to the driver", not as bare numbers.
 *
 * One Redis stream per event stream (`{prefix}:raw:<stream>`), one entry per event, its fields the
 * event's id, name, data, meta and time, with the entry id Redis gives (`XADD … *`). One append of
 * one event is one `XADD`; a batch is one `MULTI` of one `XADD` per event, sent in one round trip
 * and applied all at once, as the engine stores a batch. JSON encoding and decoding are inside the
 * timed work, as the engine must do them. What the baseline leaves out (the expected version, the
 * retry rule and duplicate ids, positions across streams, the index by name, the notification,
 * building the stored events an engine returns) is what the ratio charges to the engine.
 */
import type { Redis } from 'ioredis';
import { prefixedKey } from './redis-bench.js';
import type { WorkloadEvent } from './workload.js';

/** An event read back by the baseline. */
export interface RawRedisEvent {
  readonly entry: string;
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly meta: unknown;
  readonly at: string;
}

export class RawRedisStreams {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(client: Redis, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  key(stream: string): string {
    return prefixedKey(this.#prefix, `raw:${stream}`);
  }

  /** Stores `events` at the end of `stream`: one XADD, or one MULTI of one XADD per event. */
  async append(stream: string, events: readonly WorkloadEvent[]): Promise<void> {
    const key = this.key(stream);
    if (events.length === 1) {
      await this.#client.xadd(key, '*', ...fieldsOf(events[0]!));
      return;
    }
    const transaction = this.#client.multi();
    for (const event of events) transaction.xadd(key, '*', ...fieldsOf(event));
    const answers = await transaction.exec();
    const failed = answers?.find(([error]) => error !== null);
    if (answers === null || failed !== undefined) {
      throw new Error(`the raw MULTI of XADDs failed: ${String(failed?.[0] ?? 'aborted')}`);
    }
  }

  /**
   * Stores `event` at the end of `stream` and publishes `message` on `channel`, in one MULTI: a
   * write and its notification in one step and one round trip, as the engine's append makes them.
   */
  async appendAndPublish(
    stream: string,
    event: WorkloadEvent,
    channel: string,
    message: string,
  ): Promise<void> {
    const answers = await this.#client
      .multi()
      .xadd(this.key(stream), '*', ...fieldsOf(event))
      .publish(channel, message)
      .exec();
    if (answers === null || answers.some(([error]) => error !== null)) {
      throw new Error('the raw MULTI of XADD + PUBLISH failed');
    }
  }

  /** One `XRANGE` of up to `count` entries after entry `after` (`-` for the start), decoded. */
  async readPage(stream: string, after: string, count: number): Promise<RawRedisEvent[]> {
    const start = after === '-' ? '-' : `(${after}`;
    const entries = await this.#client.xrange(this.key(stream), start, '+', 'COUNT', count);
    return entries.map(([entry, fields]) => eventOf(entry, fields));
  }

  /** How many entries `streams` hold in all. */
  async count(streams: readonly string[]): Promise<number> {
    const pipeline = this.#client.pipeline();
    for (const stream of streams) pipeline.xlen(this.key(stream));
    const answers = (await pipeline.exec()) ?? [];
    return answers.reduce((sum, [error, length]) => {
      if (error !== null) throw error;
      return sum + Number(length);
    }, 0);
  }
}

function fieldsOf(event: WorkloadEvent): string[] {
  return [
    'id',
    event.id,
    'name',
    event.name,
    'data',
    JSON.stringify(event.data),
    'meta',
    JSON.stringify(event.meta),
    'at',
    event.at,
  ];
}

function eventOf(entry: string, fields: readonly string[]): RawRedisEvent {
  const value = (name: string) => {
    for (let index = 0; index < fields.length; index += 2) {
      if (fields[index] === name) return fields[index + 1]!;
    }
    throw new Error(`raw entry ${entry} has no field ${name}`);
  };
  return {
    entry,
    id: value('id'),
    name: value('name'),
    data: JSON.parse(value('data')) as unknown,
    meta: JSON.parse(value('meta')) as unknown,
    at: value('at'),
  };
}
