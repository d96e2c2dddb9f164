/**
 * The Redis engine against the memory engine, over random schedules (fast-check): the same appends
 * (random batches, expected versions right and wrong, retries of earlier batches, ids reused by
 * mistake, fencing terms), the same reads (streams, the store by position and by names with
 * paging, stream lists by prefix and after), and the notification connection cut at random. Every
 * answer and every error must be the same on both, and a subscriber must hear every event once, in
 * order. 20 schedules in `npm test`; `OMNISCIENT_PROPERTY_RUNS=<n>` runs n.
 */
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { EventStore, ExpectedVersion } from '../../../src/engines/engine.js';
import type { NewEvent } from '../../../src/events/envelope.js';
import { memoryStore } from '../../../src/index.js';
import { redisStore } from '../../../src/redis.js';
import { propertyRuns } from '../../actors/properties/schedule.js';
import { eventually } from '../../support/eventually.js';
import { describeWithRedis, freshPrefix, REDIS_URL } from '../redis/server.js';

// Ids whose order differs between UTF-16 units and code points ('！', '％' and '😀'), and ids
// made of the characters Redis's lexical ranges give a meaning to ('[', '(', '*', '-').
const STREAMS = ['a b', '[a', '(a', '*', '-', '😀', '！a', '％x'] as const;
const NAMES = ['opened', 'paid', 'paid_back'] as const;
const AT = '2026-01-01T00:00:00.000Z';

type Step =
  | {
      readonly kind: 'append';
      readonly stream: number;
      readonly names: readonly number[];
      readonly expected: 'any' | 'right' | 'wrong' | 'no-stream' | 'exists';
      readonly term: number | undefined;
    }
  | { readonly kind: 'retry'; readonly pick: number; readonly tamper: boolean }
  | {
      readonly kind: 'readAll';
      readonly after: number;
      readonly limit: number;
      readonly names: readonly number[];
    }
  | {
      readonly kind: 'list';
      readonly prefix: string;
      readonly after: string | undefined;
      readonly limit: number;
    }
  | { readonly kind: 'cut' };

const aStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      stream: fc.nat({ max: STREAMS.length - 1 }),
      names: fc.array(fc.nat({ max: NAMES.length - 1 }), { minLength: 0, maxLength: 4 }),
      expected: fc.constantFrom(
        'any' as const,
        'right' as const,
        'wrong' as const,
        'no-stream' as const,
        'exists' as const,
      ),
      term: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat(), tamper: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('readAll' as const),
      after: fc.nat({ max: 30 }),
      limit: fc.integer({ min: 1, max: 10 }),
      names: fc.array(fc.nat({ max: NAMES.length - 1 }), { maxLength: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('list' as const),
      prefix: fc.constantFrom('', '[', '😀', '！'),
      after: fc.option(fc.constantFrom(...STREAMS, '', '！'), { nil: undefined }),
      limit: fc.integer({ min: 1, max: 10 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cut' as const }) },
);

/** An answer or an error, in a form both engines can be compared by. */
async function outcome<T>(call: () => Promise<T>): Promise<{ ok: T } | { error: string; code: unknown }> {
  try {
    return { ok: await call() };
  } catch (error) {
    return { error: (error as Error).name, code: (error as { code?: unknown }).code };
  }
}

/** The notification connections of a prefix, cut by the server as a network fault would. */
async function cutNotifications(admin: Redis, prefix: string): Promise<void> {
  const list = String(await admin.client('LIST'));
  for (const line of list.split('\n')) {
    const id = line.includes(` name=omniscient:notify:${prefix} `) ? /\bid=(\d+)/.exec(line)?.[1] : undefined;
    if (id !== undefined) await admin.client('KILL', 'ID', id);
  }
}

describeWithRedis('the Redis engine against the memory engine', () => {
  it('answers every random schedule as the memory engine does, and its subscriber hears every event once', async () => {
    const admin = new Redis(REDIS_URL);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(aStep, { minLength: 1, maxLength: 30 }), async (steps) => {
          const prefix = freshPrefix();
          const redis: EventStore = redisStore(
            { url: REDIS_URL },
            { prefix, logger: { warn: () => undefined } },
          );
          const memory: EventStore = memoryStore();
          const heard: number[] = [];
          const subscription = await redis.subscribe((batch) => heard.push(...batch.map((n) => n.position)));
          const batches: { stream: string; events: NewEvent[] }[] = [];
          let ids = 0;
          try {
            for (const step of steps) {
              if (step.kind === 'append') {
                const stream = STREAMS[step.stream]!;
                const current = await memory.streamVersion(stream);
                const expectedVersion: ExpectedVersion =
                  step.expected === 'right'
                    ? current
                    : step.expected === 'wrong'
                      ? current + 1
                      : step.expected;
                const events = step.names.map((name) => ({
                  id: `id-${++ids}`,
                  name: NAMES[name]!,
                  data: { n: ids },
                  at: AT,
                }));
                const options = {
                  expectedVersion,
                  ...(step.term === undefined ? {} : { fencingTerm: step.term }),
                };
                const onMemory = await outcome(() => memory.appendToStream(stream, events, options));
                const onRedis = await outcome(() => redis.appendToStream(stream, events, options));
                expect(onRedis).toEqual(onMemory);
                if ('ok' in onMemory && events.length > 0) batches.push({ stream, events });
              } else if (step.kind === 'retry') {
                const batch = batches[step.pick % Math.max(1, batches.length)];
                if (batch === undefined) continue;
                const events = step.tamper
                  ? batch.events.map((event, index) =>
                      index === 0 ? { ...event, data: { tampered: true } } : event,
                    )
                  : batch.events;
                const onMemory = await outcome(() => memory.appendToStream(batch.stream, events));
                const onRedis = await outcome(() => redis.appendToStream(batch.stream, events));
                expect(onRedis).toEqual(onMemory);
              } else if (step.kind === 'readAll') {
                const options = {
                  after: step.after,
                  limit: step.limit,
                  ...(step.names.length === 0 ? {} : { names: step.names.map((name) => NAMES[name]!) }),
                };
                expect(await outcome(() => redis.readAll(options))).toEqual(
                  await outcome(() => memory.readAll(options)),
                );
              } else if (step.kind === 'list') {
                const options = {
                  prefix: step.prefix,
                  limit: step.limit,
                  ...(step.after === undefined ? {} : { after: step.after }),
                };
                expect(await outcome(() => redis.listStreams(options))).toEqual(
                  await outcome(() => memory.listStreams(options)),
                );
              } else {
                await cutNotifications(admin, prefix);
              }
            }
            for (const stream of STREAMS) {
              expect(await redis.readStream(stream)).toEqual(await memory.readStream(stream));
            }
            const all = (await memory.readAll({ limit: 10_000 })).map((event) => event.position);
            await eventually(() => expect(heard).toEqual(all), 10_000);
          } finally {
            await subscription.close();
            await redis.close();
            await memory.close();
          }
        }),
        { numRuns: propertyRuns(20) },
      );
    } finally {
      admin.disconnect();
    }
  }, 120_000);
});
