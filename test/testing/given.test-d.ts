import { describe, expectTypeOf, test } from 'vitest';
import { Actor, OneActor, TickActor, type StoredEvent, type TickData } from 'omniscient-actors';
import {
  Given,
  type CommandName,
  type EventDataOf,
  type EventNamesOf,
  type LoadedStory,
  type StoryResult,
} from 'omniscient-actors/testing';
import { Account, Player, User } from './story-actors.js';

interface CartState {
  items: string[];
}
// Two events whose data overlap, and one without data.
type CartEvents = {
  item_added: { sku: string };
  item_tagged: { sku: string; tag: string };
  checked_out: undefined;
  paid_at: { at: string; amounts: number[]; card: { last4: string } };
};
class Cart extends Actor<CartState, CartEvents> {
  Add(sku: string) {
    return this.Fire('item_added', { sku });
  }
  item_added(data: CartEvents['item_added']) {
    this._state.items.push(data.sku);
  }
}
class Clock extends TickActor<{ ticks: number }, { alarm_rang: { at: string } }> {
  Ring() {
    return this.Fire('alarm_rang', { at: 'now' });
  }
  tick() {
    this._state.ticks++;
  }
}
class Ledger extends OneActor {
  Record(amount: number) {
    return this.Fire('recorded', { amount });
  }
  recorded() {}
}

// Only the type checker runs these: nothing here is awaited.
const story = Given('A story', []);

describe('When', () => {
  test('takes a method of the actor and its arguments', () => {
    expectTypeOf(story.When(Player, 'Pay', 300)).toExtend<PromiseLike<StoryResult<Player, 'Pay'>>>();
    expectTypeOf(story.When(User, 'DoLoginAttempt', 'test', {})).toExtend<PromiseLike<unknown>>();
    expectTypeOf<'Pay' | 'ChooseNickname'>().toExtend<CommandName<Player>>();
  });

  test('refuses a name that is not a method', () => {
    // @ts-expect-error there is no such method
    story.When(Player, 'Payy', 300);
    // @ts-expect-error a property that is not a function is not a command
    story.When(Player, 'id');
  });

  test("takes the user's commands only: not a typed actor's handlers, not the library's members", () => {
    expectTypeOf<CommandName<Player>>().toEqualTypeOf<'Pay' | 'ChooseNickname'>();
    expectTypeOf<CommandName<Cart>>().toEqualTypeOf<'Add'>();
    expectTypeOf<CommandName<Clock>>().toEqualTypeOf<'Ring'>();
    // An untyped actor's handlers cannot be told from its commands; the library's members still can.
    expectTypeOf<CommandName<User>>().toEqualTypeOf<
      'DoLoginAttempt' | 'generateToken' | 'signup' | 'logged_in' | 'invalid_login'
    >();
    expectTypeOf<CommandName<Ledger>>().toEqualTypeOf<'Record' | 'recorded'>();
    // @ts-expect-error payment_received is a handler of Player's event map
    story.When(Player, 'payment_received', { cents: 1, receipt: 'r' });
    // @ts-expect-error tick is a handler
    story.When(Clock, 'tick');
    // @ts-expect-error Load is the library's, and a story loads the actor anyway
    story.When(Player, 'Load');
    // @ts-expect-error Fire is the library's
    story.When(User, 'Fire', 'logged_in');
    // @ts-expect-error Flush is the library's
    story.When(User, 'Flush');
    // @ts-expect-error Dispose is the library's
    story.When(User, 'Dispose');
    // @ts-expect-error ListenTo is the library's
    story.When(User, 'ListenTo', 'elsewhere', () => undefined);
    // @ts-expect-error ListenFor is the library's
    story.When(User, 'ListenFor', 'signup', () => undefined);
    // @ts-expect-error RerunOnConflict is LiveActor's
    story.When(User, 'RerunOnConflict', () => undefined);
    // @ts-expect-error state is the library's, and no method
    story.When(Player, 'state');
    // @ts-expect-error version is the library's, and no method
    story.When(User, 'version');
  });
});

describe('WhenLoaded', () => {
  test('runs a story with no command: for an actor that only applies or reacts to events', () => {
    expectTypeOf<CommandName<Account>>().toEqualTypeOf<never>();
    expectTypeOf(story.WhenLoaded(Account)).toEqualTypeOf<LoadedStory<Account>>();
    story
      .WhenLoaded(Account)
      .Then([{ name: 'signup', data: { username: '{string}', password: '{string}' } }])
      .AndState({ username: 'test', logins: '{number}' });
    // @ts-expect-error Account has no command: a story with none is WhenLoaded(Account)
    story.When(Account, 'Load');
    // @ts-expect-error signup is a handler, not a command
    story.When(Account, 'signup', { username: 'u', password: 'p' });
  });

  test('checks the events and the state, and nothing a command would return or throw', () => {
    type Result = StoryResult<Account, never>;
    expectTypeOf<Result['returned']>().toEqualTypeOf<undefined>();
    // @ts-expect-error Account fires no such event
    story.WhenLoaded(Account).Then([{ name: 'signed_up' }]);
    // @ts-expect-error the state has no such key
    story.WhenLoaded(Account).AndState({ logged_in: true });
    // @ts-expect-error there is no command to return anything
    story.WhenLoaded(Account).AndReturns(undefined);
    // @ts-expect-error there is no command to throw
    story.WhenLoaded(Account).ThenThrows(Error);
  });

  test('refuses arguments of the wrong type or number', () => {
    // @ts-expect-error Pay takes a number
    story.When(Player, 'Pay', '300');
    // @ts-expect-error Pay takes one argument
    story.When(Player, 'Pay');
    // @ts-expect-error DoLoginAttempt takes a password and a fingerprint
    story.When(User, 'DoLoginAttempt', 'test');
  });
});

describe('the assertions', () => {
  test('Then knows the event names of a typed actor, and takes any event of another stream', () => {
    expectTypeOf<EventNamesOf<Player>>().toEqualTypeOf<
      'payment_received' | 'life_gained' | 'nickname_chosen'
    >();
    expectTypeOf<EventNamesOf<User>>().toEqualTypeOf<string>();
    story
      .When(Player, 'Pay', 300)
      .Then([
        { name: 'payment_received', data: { cents: '{number}', receipt: '{string}' } },
        { name: 'life_gained' },
        { name: 'anything', stream: 'elsewhere', data: { at: '{date}' } },
      ]);
    // @ts-expect-error Player fires no such event
    story.When(Player, 'Pay', 300).Then([{ name: 'payment_refunded' }]);
  });

  test("Then checks each event's data against the event map, placeholders allowed", () => {
    story.When(Cart, 'Add', 'a').Then([
      { name: 'item_added', data: { sku: 'a' } },
      { name: 'item_tagged', data: { sku: '{string}', tag: '{any}' } },
      { name: 'checked_out' },
      { name: 'checked_out', data: '{any}' },
      { name: 'paid_at', data: { at: '{date}', amounts: '{array}', card: '{object}' } },
      {
        name: 'paid_at',
        data: { at: '2024-01-01T00:00:00.000Z', amounts: [1, '{number}'], card: { last4: '{string}' } },
      },
    ]);
    // @ts-expect-error sku is a string
    story.When(Cart, 'Add', 'a').Then([{ name: 'item_added', data: { sku: 42 } }]);
    // @ts-expect-error item_added has no tag (item_tagged has)
    story.When(Cart, 'Add', 'a').Then([{ name: 'item_added', data: { sku: 'a', tag: 'x' } }]);
    // @ts-expect-error item_tagged has a tag
    story.When(Cart, 'Add', 'a').Then([{ name: 'item_tagged', data: { sku: 'a' } }]);
    // @ts-expect-error a misspelt key
    story.When(Cart, 'Add', 'a').Then([{ name: 'item_added', data: { skus: 'a' } }]);
    // @ts-expect-error checked_out has no data
    story.When(Cart, 'Add', 'a').Then([{ name: 'checked_out', data: { at: 'now' } }]);
    story
      .When(Cart, 'Add', 'a')
      // @ts-expect-error amounts are numbers
      .Then([{ name: 'paid_at', data: { at: '{date}', amounts: ['1'], card: '{object}' } }]);
    // @ts-expect-error the second event's name is misspelt: only that one is refused
    story.When(Cart, 'Add', 'a').Then([{ name: 'item_added' }, { name: 'item_aded' }]);
  });

  test("Then does not check another stream's events against the actor's map", () => {
    story.When(Cart, 'Add', 'a').Then([
      { name: 'item_added', stream: 'other-cart', data: { sku: 42, anything: true } },
      { name: 'bonus_granted', stream: 'friend', data: { by: '{string}' } },
    ]);
  });

  test("the data of a typed actor's event is read from its Fire signature", () => {
    expectTypeOf<EventDataOf<Player, 'life_gained'>>().toEqualTypeOf<{ lives: number }>();
    // item_tagged's data would do for item_added too: it is not taken for item_added's.
    expectTypeOf<EventDataOf<Cart, 'item_added'>>().toEqualTypeOf<{ sku: string }>();
    expectTypeOf<EventDataOf<Cart, 'checked_out'>>().toEqualTypeOf<undefined>();
    expectTypeOf<EventDataOf<Clock, 'tick'>>().toEqualTypeOf<TickData>();
    expectTypeOf<EventNamesOf<Clock>>().toEqualTypeOf<'tick' | 'alarm_rang'>();
    expectTypeOf<EventDataOf<User, 'logged_in'>>().toBeAny();
  });

  test('an event whose data the map cannot give back is checked at run time only', () => {
    // `unknown` data absorbs every other event's in the union Fire gives up: nothing is refused.
    class Loose extends Actor<object, { noted: unknown; counted: { n: number } }> {
      Note() {
        return this.Fire('noted', 1);
      }
    }
    expectTypeOf<EventDataOf<Loose, 'counted'>>().toBeUnknown();
    story.When(Loose, 'Note').Then([
      { name: 'counted', data: { n: '{number}' } },
      { name: 'noted', data: 1 },
    ]);
    // @ts-expect-error the names are still checked
    story.When(Loose, 'Note').Then([{ name: 'note' }]);
  });

  test('Then takes any event of an untyped actor', () => {
    story.When(User, 'DoLoginAttempt', 'test', {}).Then([{ name: 'whatever', data: { token: '{string}' } }]);
  });

  test('AndState takes some keys of the state, each whole, placeholders allowed', () => {
    story.When(Player, 'Pay', 300).AndState({ lives: 3 });
    story
      .When(Player, 'Pay', 300)
      .AndState({ lives: '{number}', profile: { nickname: '', badges: '{array}' } });
    // @ts-expect-error the state has no such key
    story.When(Player, 'Pay', 300).AndState({ coins: 3 });
    // @ts-expect-error lives is a number
    story.When(Player, 'Pay', 300).AndState({ lives: true });
  });

  test('AndReturns takes what the command resolves to', () => {
    story.When(Player, 'ChooseNickname', 'neo').AndReturns('neo');
    story.When(Player, 'Pay', 300).AndReturns({ receipt: '{string}', lives: 3 });
    // @ts-expect-error ChooseNickname resolves to a string
    story.When(Player, 'ChooseNickname', 'neo').AndReturns(3);
    // @ts-expect-error the return value has no such key
    story.When(Player, 'Pay', 300).AndReturns({ receipt: 'r', lives: 3, extra: 1 });
  });

  test('ThenThrows takes a class, a string, a RegExp or properties', () => {
    const when = () => story.When(Player, 'ChooseNickname', ' ');
    when().ThenThrows(RangeError);
    when().ThenThrows('blank');
    when().ThenThrows(/blank/);
    when().ThenThrows({ code: 'INVALID_EVENT' });
    // @ts-expect-error a number says nothing about an error
    when().ThenThrows(42);
  });

  test('the awaited story gives the actor, its state, the fired events and the return value', () => {
    type Result = StoryResult<Player, 'ChooseNickname'>;
    expectTypeOf<Result['actor']>().toEqualTypeOf<Player>();
    expectTypeOf<Result['returned']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Result['events']>().toEqualTypeOf<readonly StoredEvent[]>();
    expectTypeOf<Result['state']['lives']>().toEqualTypeOf<number>();
  });
});
