import { expectTypeOf, test } from 'vitest';
import { Actor, type StoredEvent } from 'omniscient-actors';

interface CartState {
  items: string[];
}
interface CartEvents {
  item_added: { sku: string };
  checked_out: undefined;
}

class Cart extends Actor<CartState, CartEvents> {
  protected override _state: CartState = { items: [] };
}

declare const cart: Cart;

test('an OnChange listener gets the typed state and the typed event, or undefined for a rebuild', () => {
  const stop = cart.OnChange((state, event) => {
    expectTypeOf(state).toEqualTypeOf<Readonly<CartState>>();
    expectTypeOf(event).toEqualTypeOf<
      StoredEvent<'item_added', { sku: string }> | StoredEvent<'checked_out', undefined> | undefined
    >();
    if (event?.name === 'item_added') expectTypeOf(event.data).toEqualTypeOf<{ sku: string }>();
  });
  expectTypeOf(stop).toEqualTypeOf<() => void>();
});
