/**
 * Reactions run again — after a store failure between the parts of a reaction split across an
 * `await`, or on a node that heard the cause after another node's reaction was stored — take the
 * parts already stored as their own and fire only the rest. And the smaller rules around
 * listeners: a closed listener's target is free once it handles nothing more, request streams
 * cannot be listened to, and a closed store is not retried.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  UsageError,
  type Container,
  type EventStore,
} from 'omniscient-actors';
import { eventually } from '../support/eventually.js';

/** A store whose appends to one stream fail while `failures` is above zero. */
function flaky(inner: EventStore, stream: string) {
  const control = { failures: 0, appends: 0 };
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property !== 'appendToStream') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: Parameters<EventStore['appendToStream']>) => {
        if (args[0] === stream) control.appends++;
        if (args[0] === stream && control.failures > 0) {
          control.failures--;
          return Promise.reject(new StoreUnavailableError('connection reset'));
        }
        return inner.appendToStream(...args);
      };
    },
  });
  return { store, control };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('a reaction run again', () => {
  it('after the store failed between the parts of a reaction split across an await, fires only the rest', async () => {
    const inner = memoryStore();
    const { store, control } = flaky(inner, 'payments');
    const calls: number[] = [];
    class Payments extends Actor<{ reserved: number; charged: number }> {
      constructor(id: string, container: Container) {
        super(id, container);
        this._state = { reserved: 0, charged: 0 };
        this.ListenFor('order_placed', async (event) => {
          calls.push(event.position);
          this.Fire('reserved', { order: event.stream });
          await new Promise((resolve) => setTimeout(resolve, 5)); // a payment gateway
          // The store goes away for longer than an append retries by itself, once.
          if (calls.length === 1) control.failures = 5;
          this.Fire('charged', { order: event.stream });
        });
      }
      reserved() {
        this._state.reserved++;
      }
      charged() {
        this._state.charged++;
      }
    }
    const payments = await new Payments(
      'payments',
      createContainer({ store, logger: quiet, onError: () => undefined }),
    ).Load();
    await inner.appendToStream('order-1', [{ name: 'order_placed' }]);
    await eventually(
      async () =>
        expect((await inner.readStream('payments')).map((event) => event.name)).toEqual([
          'reserved',
          'charged',
        ]),
      10_000,
    );
    expect(calls).toEqual([1, 1]);
    expect(payments.state).toEqual({ reserved: 1, charged: 1 });
    const fresh = await new Payments('payments', createContainer({ store: inner, logger: quiet })).Load();
    expect(fresh.state).toEqual({ reserved: 1, charged: 1 });
    await Promise.all([payments.Dispose(), fresh.Dispose()]);
  });

  it('on a node that heard the cause after another node stored the reaction, takes the stored one as its own', async () => {
    const store = memoryStore();
    const errors: unknown[] = [];
    const outcomes: string[] = [];
    class Charger extends LiveActor<{ charged: number }> {
      constructor(id: string, container: Container, node: string, gatewayMs: number) {
        super(id, container);
        this._state = { charged: 0 };
        this.ListenFor('order_placed', async () => {
          await new Promise((resolve) => setTimeout(resolve, gatewayMs));
          const stored = await this.Fire('charged', { amount: 10 });
          outcomes.push(`${node} ${stored.version}`);
        });
      }
      charged() {
        this._state.charged++;
      }
    }
    const onError = (error: unknown) => errors.push(error);
    const fast = await new Charger('charger', createContainer({ store, onError }), 'fast', 1).Load();
    const slow = await new Charger('charger', createContainer({ store, onError }), 'slow', 60).Load();
    await store.appendToStream('order-1', [{ name: 'order_placed' }]);
    await eventually(() => expect(outcomes.sort()).toEqual(['fast 1', 'slow 1']));
    expect(await store.readStream('charger')).toHaveLength(1);
    expect(errors).toEqual([]);
    expect([fast.state, slow.state]).toEqual([{ charged: 1 }, { charged: 1 }]);
    await Promise.all([fast.Dispose(), slow.Dispose()]);
  });
});

describe('around listeners', () => {
  it('a closed listener keeps its target until it handles nothing more; then another may listen to it', async () => {
    const store = memoryStore();
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Slow extends Actor {
      listen() {
        return this.ListenFor('ping', async () => {
          await gate;
          await this.Fire('ponged');
        });
      }
    }
    const slow = await new Slow('slow', createContainer({ store })).Load();
    const subscription = slow.listen();
    await store.appendToStream('s', [{ name: 'ping' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = subscription.close();
    expect(() => slow.listen()).toThrow(/already listens for "ping"/);
    release();
    await closing;
    const again = slow.listen();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await store.readStream('slow')).map((event) => event.name)).toEqual(['ponged']);
    await again.close();
    await slow.Dispose();
  });

  it("refuses to listen to an elected actor's request stream", async () => {
    const recorder = new (class Recorder extends Actor {})(
      'recorder',
      createContainer({ store: memoryStore() }),
    );
    expect(() => recorder.ListenTo('$requests:one', () => undefined)).toThrow(UsageError);
    expect(() => recorder.ListenTo('$requests:one', () => undefined)).toThrow(/listen to "one" itself/);
  });

  it('an append to a store closed by its owner is not tried again', async () => {
    const inner = memoryStore();
    const { store, control } = flaky(inner, 'closing');
    class Closing extends Actor {}
    const actor = await new Closing('closing', createContainer({ store, onError: () => undefined })).Load();
    await inner.close();
    await expect(actor.Fire('anything')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', closed: true });
    expect(control.appends).toBe(1);
  });
});
