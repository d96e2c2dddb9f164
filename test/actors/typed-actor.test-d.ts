import { expectTypeOf, test } from 'vitest';
import { Actor, LiveActor, type Handlers, type StoredEvent } from 'omniscient-actors';

interface CartState {
  items: string[];
  checkedOut: boolean;
}
interface CartEvents {
  item_added: { sku: string };
  checked_out: undefined;
  [name: string]: unknown;
}

interface StrictEvents {
  item_added: { sku: string };
  checked_out: undefined;
}

class Cart extends Actor<CartState, StrictEvents> implements Handlers<StrictEvents> {
  protected override _state: CartState = { items: [], checkedOut: false };
  Add(sku: string) {
    return this.Fire('item_added', { sku });
  }
  CheckOut() {
    return this.Fire('checked_out');
  }
  item_added(data: { sku: string }) {
    this._state.items.push(data.sku);
  }
}

test('Fire is typed by the event map', () => {
  const cart = {} as Cart;
  expectTypeOf(cart.Add('a')).toEqualTypeOf<Promise<StoredEvent<'item_added', { sku: string }>>>();
  expectTypeOf(cart.state).toEqualTypeOf<Readonly<CartState>>();
  class Wrong extends Actor<CartState, StrictEvents> {
    Bad() {
      // @ts-expect-error: not an event of the map
      void this.Fire('item_removed', { sku: 'a' });
      // @ts-expect-error: wrong data shape
      void this.Fire('item_added', { sku: 42 });
      // @ts-expect-error: data is required
      void this.Fire('item_added');
    }
  }
  expectTypeOf<Wrong>().toHaveProperty('Bad');
});

test('a handler with the wrong data type is a compile error', () => {
  class WrongHandler extends Actor<CartState, StrictEvents> implements Handlers<StrictEvents> {
    // @ts-expect-error: item_added takes { sku: string }
    item_added(data: { sku: number }) {
      void data;
    }
  }
  expectTypeOf<WrongHandler>().toHaveProperty('item_added');
});

test('the untyped style of the seed still compiles', () => {
  class User extends LiveActor {
    DoLogin(password: string) {
      if (this._state['password'] === password) return this.Fire('logged_in', { token: 'x' });
      return this.Fire('invalid_login');
    }
    logged_in(_data: unknown) {
      this._state['logged_in'] = true;
    }
  }
  expectTypeOf<User['state']>().toEqualTypeOf<Readonly<Record<string, any>>>();
  expectTypeOf<CartEvents>().toHaveProperty('item_added');
});
