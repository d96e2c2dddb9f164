/**
 * Errors that say what to do: each mistake a user makes with an actor is reported as that mistake,
 * with the class, the id and what to change, in a typed error with a stable code.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  HandlerError,
  InvalidActorIdError,
  InvalidEventError,
  LiveActor,
  memoryStore,
  MissingServiceError,
  OneActor,
  UsageError,
  type Container,
} from 'omniscient-actors';

function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('a bad actor id', () => {
  class User extends Actor {}

  it('is reported as an actor id problem, naming the class, never as an invalid event', () => {
    const container = createContainer({ store: memoryStore() });
    const error = thrownBy(() => new User('', container));
    expect(error).toBeInstanceOf(InvalidActorIdError);
    expect(error).not.toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ code: 'INVALID_ACTOR_ID', id: '', where: 'new User(id, container)' });
    expect((error as Error).message).toBe('invalid actor id in new User(id, container): must not be empty');
  });

  it('says what is wrong with the id', () => {
    const container = createContainer({ store: memoryStore() });
    expect(() => new User(' bob', container)).toThrow(
      'invalid actor id in new User(id, container): " bob" starts or ends with white space',
    );
    expect(() => new User('a\nb', container)).toThrow(/"a\\nb" holds a control character/);
    expect(() => new User(42 as unknown as string, container)).toThrow(/must be a string, got number/);
    expect(() => new User('x'.repeat(257), container)).toThrow(/257 characters long; the limit is 256/);
  });

  it('given to an elected actor, is an actor id problem too', () => {
    class Wallet extends OneActor {}
    const container = createContainer({ store: memoryStore() });
    const error = thrownBy(() => new Wallet('$requests:w', container));
    expect(error).toBeInstanceOf(InvalidActorIdError);
    expect((error as Error).message).toMatch(
      /^invalid actor id in new Wallet\(id, container\): .*request streams/,
    );
  });

  it('given to ListenTo, names the listening class', async () => {
    class Saga extends Actor {}
    const saga = await new Saga('saga', createContainer({ store: memoryStore() })).Load();
    expect(() => saga.ListenTo('', () => undefined)).toThrow(
      'invalid actor id in Saga.ListenTo(actorId, listener): must not be empty',
    );
  });

  it('given to the store directly, is still an invalid event', async () => {
    const store = memoryStore();
    await expect(store.appendToStream('', [{ name: 'happened' }])).rejects.toBeInstanceOf(InvalidEventError);
  });
});

describe('a state that cannot be copied', () => {
  it('names the class, the id and the path to the offending value, on a LiveActor', async () => {
    class Cart extends LiveActor<{ items: Array<{ name: string; onRemove?: () => void }> }> {
      protected override _state: { items: Array<{ name: string; onRemove?: () => void }> } = { items: [] };
      Add(name: string) {
        this._state.items.push({ name, onRemove: () => undefined });
        return this.Fire('item_added', { name });
      }
    }
    const container = createContainer({ store: memoryStore() });
    const cart = await new Cart('cart-7', container).Load();
    const error = thrownBy(() => cart.Add('tea'));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).not.toBeInstanceOf(DOMException);
    expect((error as Error).message).toMatch(
      /^the state of Cart "cart-7" cannot be copied: _state\.items\[0\]\.onRemove is a function\./,
    );
    expect(await container.store.readStream('cart-7')).toEqual([]);
    await cart.Dispose();
  });
});

describe('a command named after the event it fires', () => {
  class Basket extends Actor<{ items: string[] }> {
    protected override _state: { items: string[] } = { items: [] };
    // The mistake: meant as the command, but its name makes it the handler of its event too.
    item_added(name: string) {
      return this.Fire('item_added', { name });
    }
  }

  it('is refused with a message that says so and what to rename', async () => {
    const container = createContainer({ store: memoryStore() });
    const basket = await new Basket('b', container).Load();
    const error = thrownBy(() => basket.item_added('tea'));
    expect(error).toBeInstanceOf(HandlerError);
    const cause = (error as HandlerError).cause;
    expect(cause).toBeInstanceOf(UsageError);
    expect((cause as Error).message).toMatch(
      /^Basket\.item_added fires "item_added", the event it is named after: a method named after an event is that event's handler/,
    );
    expect((error as Error).message).toContain('Rename the command or the event');
    expect(basket.state.items).toEqual([]);
    expect(await container.store.readStream('b')).toEqual([]);
  });

  it('is told apart from a handler that fires another event', async () => {
    class Chatty extends Actor {
      Start() {
        return this.Fire('started');
      }
      started() {
        void this.Fire('announced');
      }
    }
    const chatty = await new Chatty('c', createContainer({ store: memoryStore() })).Load();
    const error = thrownBy(() => chatty.Start());
    expect(((error as HandlerError).cause as Error).message).toBe(
      'Chatty fired "announced" from inside a handler (Chatty.started); handlers only change state, commands fire',
    );
  });
});

describe('services an actor declares', () => {
  interface Payments {
    charge(cents: number): string;
  }
  class Checkout extends Actor {
    static override services = ['payments'];
    declare readonly container: Container & { payments: Payments };
    Pay(cents: number) {
      const receipt = this.container.payments.charge(cents);
      return this.Fire('paid', { cents, receipt });
    }
  }

  it('are checked when the actor is constructed: a missing one is named, with its class', () => {
    const container = createContainer({ store: memoryStore() });
    const error = thrownBy(() => new Checkout('order-1', container));
    expect(error).toBeInstanceOf(MissingServiceError);
    expect(error).toMatchObject({ code: 'MISSING_SERVICE', service: 'payments', actor: 'Checkout' });
    expect((error as Error).message).toBe(
      'Checkout declares the service "payments" (static services), but its container has none; ' +
        'pass it to createContainer({ store, payments })',
    );
  });

  it('are used as given when the container has them', async () => {
    const payments: Payments = { charge: (cents) => `receipt-${cents}` };
    const container = createContainer({ store: memoryStore(), payments });
    const checkout = await new Checkout('order-2', container).Load();
    expect((await checkout.Pay(500)).data).toEqual({ cents: 500, receipt: 'receipt-500' });
  });

  it("add up along the classes: a subclass needs its parent's services too", () => {
    class GiftCheckout extends Checkout {
      static override services = ['wrapping'];
    }
    const payments: Payments = { charge: () => 'r' };
    expect(() => new GiftCheckout('g', createContainer({ store: memoryStore(), payments }))).toThrow(
      /GiftCheckout declares the service "wrapping"/,
    );
    expect(() => new GiftCheckout('g', createContainer({ store: memoryStore(), wrapping: {} }))).toThrow(
      /GiftCheckout declares the service "payments"/,
    );
    expect(new GiftCheckout('g', createContainer({ store: memoryStore(), payments, wrapping: {} })).id).toBe(
      'g',
    );
  });

  it('must be a list of names', () => {
    class Sloppy extends Actor {
      static override services = 'payments' as unknown as string[];
    }
    expect(() => new Sloppy('s', createContainer({ store: memoryStore(), payments: {} }))).toThrow(
      /Sloppy\.services must be an array of service names/,
    );
  });
});
