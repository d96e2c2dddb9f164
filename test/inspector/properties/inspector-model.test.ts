/**
 * The inspector against a model, over random schedules (fast-check): whatever was appended, in
 * whatever order, the inspector shows what a fresh `Load()` of the same events shows, and its live
 * mode, dropped and resumed at random as a browser's connection is, delivers every event exactly
 * once in position order. 25 schedules each in `npm test`; `OMNISCIENT_PROPERTY_RUNS=<n>` runs n.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventStore, NotificationListener } from '../../../src/engines/engine.js';
import type { NewEvent } from '../../../src/events/envelope.js';
import { HandlerError, StoreUnavailableError } from '../../../src/errors.js';
import { Actor, createContainer, memoryStore } from '../../../src/index.js';
import { displayValue } from '../../../src/inspection/display-value.js';
import { startInspector } from '../../../src/inspector/inspector-server.js';
import { propertyRuns } from '../../actors/properties/schedule.js';
import { eventually } from '../../support/eventually.js';
import { Ledger, Tagger } from '../fixtures/ledger.js';
import { SseConnection } from '../sse-client.js';

/** Keeps whatever a `noted` event carries, keys as they come (`__proto__` included). */
class Scrapbook extends Actor<{ notes: Record<string, unknown>; count: number }> {
  protected override _state: { notes: Record<string, unknown>; count: number } = { notes: {}, count: 0 };
  noted(data: unknown) {
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      for (const [key, value] of Object.entries(data)) {
        Object.defineProperty(this._state.notes, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    this._state.count += 1;
  }
}

const STREAMS = ['ledger-a', 'ledger-b'] as const;
const CLASSES = { Ledger, Tagger, Scrapbook } as const;

const anEvent: fc.Arbitrary<NewEvent> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      name: fc.constant('added'),
      data: fc.record({
        amount: fc.integer({ min: -5, max: 20 }),
        tag: fc.constantFrom('rent', 'food', 'fun'),
      }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ name: fc.constant('refused'), data: fc.record({ reason: fc.string() }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      name: fc.constant('noted'),
      data: fc.oneof(
        fc.jsonValue(),
        fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', 'note', ''), fc.jsonValue()),
      ),
    }),
  },
);

type Step =
  | { readonly kind: 'append'; readonly stream: number; readonly events: NewEvent[] }
  | {
      readonly kind: 'ask';
      readonly stream: number;
      readonly pick: number;
      readonly actor: keyof typeof CLASSES;
    }
  | { readonly kind: 'reconnect' }
  /** The store's next read fails once, as when its connection blips. */
  | { readonly kind: 'blip' };

const aStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    stream: fc.nat({ max: STREAMS.length - 1 }),
    events: fc.array(anEvent, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('ask' as const),
    stream: fc.nat({ max: STREAMS.length - 1 }),
    pick: fc.nat(),
    actor: fc.constantFrom('Ledger' as const, 'Tagger' as const, 'Scrapbook' as const),
  }),
  fc.constant({ kind: 'reconnect' as const }),
  fc.constant({ kind: 'blip' as const }),
);

/**
 * A memory store whose notifications never carry their event (as for events too large for a
 * notification), so that the live mode reads each one, and whose reads fail when told to.
 */
function blippingStore(): { store: EventStore; inner: EventStore; blip: () => void } {
  const inner = memoryStore();
  let failures = 0;
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'subscribe') {
        return (listener: NotificationListener, options?: Parameters<EventStore['subscribe']>[1]) =>
          target.subscribe((batch) => listener(batch.map(({ event: _event, ...rest }) => rest)), options);
      }
      if (property === 'readStream') {
        return (...args: Parameters<EventStore['readStream']>) => {
          if (failures > 0) {
            failures -= 1;
            return Promise.reject(new StoreUnavailableError('the connection blipped'));
          }
          return target.readStream(...args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, inner, blip: () => (failures += 1) };
}

/** What a fresh Load() of the first `version` events makes of them: the state, or the failure. */
async function loaded(
  actor: keyof typeof CLASSES,
  stream: string,
  events: readonly NewEvent[],
  version: number,
): Promise<{ state: unknown } | { failedAt: number }> {
  const store = memoryStore();
  if (version > 0) await store.appendToStream(stream, events.slice(0, version));
  const instance = new CLASSES[actor](stream, createContainer({ store }));
  try {
    await instance.Load();
    // The Ledger's Map and Set need the display form; the others' states are plain JSON, which the
    // inspector must show key for key (a `__proto__` key included).
    return {
      state: actor === 'Ledger' ? displayValue(instance.state) : JSON.parse(JSON.stringify(instance.state)),
    };
  } catch (error) {
    if (error instanceof HandlerError) return { failedAt: error.event.version };
    throw error;
  } finally {
    await instance.Dispose();
  }
}

async function getJson(base: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.json() };
}

/** A browser's live connection: reads every frame as it comes, resumes from the last id it saw. */
class LivePage {
  readonly positions: number[] = [];
  #lastId: string | undefined;
  #connection: SseConnection | undefined;
  #reading: Promise<void> = Promise.resolve();

  constructor(readonly base: string) {}

  async connect(): Promise<void> {
    const headers: Record<string, string> =
      this.#lastId === undefined ? {} : { 'Last-Event-ID': this.#lastId };
    // The first connection starts from the beginning, so that every event is owed to the page.
    const address = this.#lastId === undefined ? `${this.base}/api/live?after=0` : `${this.base}/api/live`;
    const connection = await SseConnection.open(address, headers);
    this.#connection = connection;
    await connection.nextOf('listening');
    this.#reading = (async () => {
      for (let frame = await connection.next(); frame !== undefined; frame = await connection.next()) {
        if (frame.id !== undefined) this.#lastId = frame.id;
        if (frame.event === 'stored')
          this.positions.push((JSON.parse(frame.data) as { position: number }).position);
      }
    })();
  }

  async drop(): Promise<void> {
    this.#connection?.close();
    await this.#reading;
  }
}

describe('the inspector against a model', () => {
  it('shows, after any event, the state a fresh Load() of the events up to it gives (or where it fails)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(aStep, { minLength: 1, maxLength: 25 }), async (steps) => {
        const store: EventStore = memoryStore();
        const inspector = await startInspector({
          store,
          storeDescription: 'model',
          actors: [Ledger, Tagger, Scrapbook],
          port: 0,
        });
        const base = `http://127.0.0.1:${inspector.port}`;
        const appended: NewEvent[][] = STREAMS.map(() => []);
        try {
          for (const step of steps) {
            if (step.kind === 'append') {
              await store.appendToStream(STREAMS[step.stream]!, step.events);
              appended[step.stream]!.push(...step.events);
              continue;
            }
            if (step.kind !== 'ask') continue;
            const stream = STREAMS[step.stream]!;
            const events = appended[step.stream]!;
            if (events.length === 0) {
              expect(
                (await getJson(base, `/api/state?stream=${stream}&version=1&actor=${step.actor}`)).status,
              ).toBe(404);
              continue;
            }
            const version = 1 + (step.pick % events.length);
            const answer = await getJson(
              base,
              `/api/state?stream=${stream}&version=${version}&actor=${step.actor}`,
            );
            expect(answer.status, JSON.stringify(answer.body)).toBe(200);
            const after = await loaded(step.actor, stream, events, version);
            if ('failedAt' in after) {
              expect(answer.body).toMatchObject({ outcome: 'failed', failedAt: { version: after.failedAt } });
              const before = await loaded(step.actor, stream, events, after.failedAt - 1);
              expect(answer.body.stateBefore).toEqual('state' in before ? before.state : undefined);
            } else {
              const before = await loaded(step.actor, stream, events, version - 1);
              expect(answer.body).toMatchObject({ outcome: 'applied', version });
              expect(answer.body.state).toEqual(after.state);
              expect(answer.body.stateBefore).toEqual('state' in before ? before.state : undefined);
            }
          }
        } finally {
          await inspector.close();
        }
      }),
      { numRuns: propertyRuns(25) },
    );
  });

  it('live mode, dropped and resumed at random over a store whose reads fail at random, delivers every stored event once, in position order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(aStep, { minLength: 1, maxLength: 30 }), async (steps) => {
        const { store, inner, blip } = blippingStore();
        const inspector = await startInspector({ store, storeDescription: 'model', port: 0 });
        const page = new LivePage(`http://127.0.0.1:${inspector.port}`);
        try {
          await page.connect();
          for (const step of steps) {
            if (step.kind === 'append') await inner.appendToStream(STREAMS[step.stream]!, step.events);
            else if (step.kind === 'blip') blip();
            else if (step.kind === 'reconnect') {
              await page.drop();
              await page.connect();
            }
          }
          const stored = (await inner.readAll({ limit: 10_000 })).map((event) => event.position);
          await eventually(() => expect(page.positions.length).toBeGreaterThanOrEqual(stored.length));
          expect(page.positions).toEqual(stored);
        } finally {
          await page.drop();
          await inspector.close();
        }
      }),
      { numRuns: propertyRuns(25) },
    );
  });
});
