import { describe, expectTypeOf, test } from 'vitest';
import type { StoredEvent } from 'omniscient-actors';
import { Given, type CommandName, type EventNamesOf, type StoryResult } from 'omniscient-actors/testing';
import { Player, User } from './story-actors.js';

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
