import { expectTypeOf, test } from 'vitest';
import { Actor, type StoredEvent, type UpcastEvent, type Upcasters } from 'omniscient-actors';

interface Events {
  signed_up: { email: string };
  archived: undefined;
}

test('a typed map makes only the actor’s events, with their data types', () => {
  const upcasters: Upcasters<Events> = {
    registered: (data: { mail: string }) => ({ name: 'signed_up', data: { email: data.mail } }),
    retired: () => [{ name: 'archived' }],
    heartbeat: () => [],
    // @ts-expect-error the data does not have the event's type
    wrong_data: () => ({ name: 'signed_up', data: { mail: 'x' } }),
    // @ts-expect-error the actor has no such event
    unknown_name: () => ({ name: 'signed_in', data: {} }),
  };
  expectTypeOf(upcasters).toMatchTypeOf<Upcasters<Events>>();
});

test('the older shapes a chain passes through are named by the second type', () => {
  const upcasters: Upcasters<Events, { registered_v2: { email: string } }> = {
    registered_v1: (data: { mail: string }) => ({ name: 'registered_v2', data: { email: data.mail } }),
    registered_v2: (data: { email: string }) => ({ name: 'signed_up', data }),
  };
  expectTypeOf(upcasters).toMatchTypeOf<Upcasters<Events, { registered_v2: { email: string } }>>();
});

test('an untyped map makes any event, and an upcaster receives the stored event', () => {
  const upcasters: Upcasters = {
    anything: (_data: unknown, event: StoredEvent) => ({ name: 'renamed', data: event.version }),
  };
  expectTypeOf<UpcastEvent>().toEqualTypeOf<{ readonly name: string; readonly data?: any }>();
  class Free extends Actor {
    static upcasters = upcasters;
  }
  expectTypeOf(Free.upcasters).toEqualTypeOf<Upcasters>();
});
