import { describe, expect, test } from 'vitest';
import {
  Actor,
  InvalidEventError,
  memoryStore,
  StoreUnavailableError,
  UsageError,
  createContainer,
  type Container,
} from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import {
  AssertionError,
  DEFAULT_ACTOR_ID,
  DEFAULT_NOW,
  Given,
  type ActorUnderTest,
  type Story,
} from 'omniscient-actors/testing';
import { LiveFeed } from '../../src/live/live-feed.js';
import {
  Account,
  Player,
  Recorder,
  Referrer,
  User,
  containerRefusingDoomedEvents,
  type PaymentGateway,
} from './story-actors.js';

/** Awaits a story that must fail, and returns its error. */
async function failureOf(story: PromiseLike<unknown>): Promise<AssertionError> {
  const error: unknown = await Promise.resolve(story).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AssertionError);
  return error as AssertionError;
}

const signup = { name: 'signup', data: { username: 'test', password: 'test' } };
const payments: PaymentGateway = { charge: (account, cents) => ({ receipt: `receipt-${account}-${cents}` }) };

describe('Given … When … Then: the seed login story', () => {
  test('a user logs in for the first time', async () => {
    await Given('A user logs in for the first time', [
      { name: 'signup', data: { username: 'test', password: 'test' } },
    ])
      .When(User, 'DoLoginAttempt', 'test', {})
      .Then([{ name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' } }])
      .AndState({ logged_in: true });
  });

  test('a wrong password is an invalid login, and the user stays logged out', async () => {
    const result = await Given('A user mistypes the password', [signup])
      .When(User, 'DoLoginAttempt', 'oops', { browser: 'firefox' })
      .Then([{ name: 'invalid_login', data: { browserFingerprint: { browser: 'firefox' } } }])
      .AndState({ logged_in: false, failedLogins: 1 });
    expect(result.events.map((event) => event.name)).toEqual(['invalid_login']);
  });

  test('a player, the same person in the same stream, pays for lives', async () => {
    await Given(
      'A signed-up user pays for three lives',
      [
        signup,
        { name: 'payment_received', data: { cents: 100, receipt: 'r0' } },
        { name: 'life_gained', data: { lives: 1 } },
      ],
      { services: { payments } },
    )
      .When(Player, 'Pay', 300)
      .Then([
        { name: 'payment_received', data: { cents: 300, receipt: 'receipt-actor-under-test-300' } },
        { name: 'life_gained', data: { lives: 3 } },
      ])
      .AndState({ lives: 4, paidCents: 400 })
      .AndReturns({ receipt: '{string}', lives: 3 });
  });
});

describe('a failing story', () => {
  test('reports the story, each mismatch by path, and expected against actual', async () => {
    const error = await failureOf(
      Given('A user logs in for the first time', [signup], { services: { tokens: { next: () => 42 } } })
        .When(User, 'DoLoginAttempt', 'test', {})
        .Then([{ name: 'logged_in', data: { browserFingerprint: '{object}', token: '{string}' } }]),
    );
    expect(error.name).toBe('AssertionError');
    expect(error.code).toBe('ERR_ASSERTION');
    expect(error.operator).toBe('Then');
    expect(error.showDiff).toBe(true);
    expect(error.message.startsWith('A user logs in for the first time\n')).toBe(true);
    expect(error.message).toContain('[0].data.token: expected {string}, got 42');
    expect(error.message).toContain("-       token: '{string}'");
    expect(error.message).toContain('+       token: 42');
    // The placeholder that matched holds its value; the one that did not stays, so only it differs.
    expect(error.expected).toEqual([
      { name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' } },
    ]);
    expect(error.actual).toEqual([{ name: 'logged_in', data: { browserFingerprint: {}, token: 42 } }]);
  });

  test('a missing event fails', async () => {
    const error = await failureOf(
      Given('A payment with no life', [], { services: { payments } })
        .When(Player, 'Pay', 50)
        .Then([
          { name: 'payment_received', data: { cents: 50, receipt: '{string}' } },
          { name: 'life_gained', data: { lives: 0 } },
        ]),
    );
    expect(error.message).toContain('missing event [1] named "life_gained"');
    expect(error.actual).toHaveLength(1);
  });

  test('an extra event fails, and the events around it still line up', async () => {
    const error = await failureOf(
      Given('A payment for two lives', [], { services: { payments } })
        .When(Player, 'Pay', 200)
        .Then([{ name: 'life_gained', data: { lives: 2 } }]),
    );
    expect(error.message).toContain('unexpected event [0] "payment_received" { cents: 200');
    expect(error.message).not.toContain('[0].name');
    expect(error.expected).toEqual([{ name: 'life_gained', data: { lives: 2 } }]);
  });

  test('no event at all when one was expected', async () => {
    const error = await failureOf(Given('A recorder that records', []).When(Recorder, 'Record', 1).Then([]));
    expect(error.message).toContain('unexpected event [0] "recorded"');
  });

  test('a wrong name is reported on the event, with its data', async () => {
    const error = await failureOf(
      Given('A user logs in', [signup])
        .When(User, 'DoLoginAttempt', 'wrong', {})
        .Then([{ name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' } }]),
    );
    expect(error.message).toContain(`[0].name: expected 'logged_in', got 'invalid_login'`);
    expect(error.message).toContain(`[0].data.token: missing (expected {string})`);
  });

  test('every failed assertion of the chain is reported at once', async () => {
    const error = await failureOf(
      Given('A user mistypes the password', [signup])
        .When(User, 'DoLoginAttempt', 'oops', {})
        .Then([{ name: 'invalid_login' }])
        .AndState({ logged_in: true })
        .AndReturns('{string}'),
    );
    expect(error.operator).toBe('Given');
    expect(error.message).toContain('state.logged_in: expected true, got false');
    expect(error.message).toMatch(/returned: expected \{string\}, got \{/);
    expect(error.message).not.toContain('[0]');
    expect(Object.keys(error.expected as object)).toEqual(['state', 'returned']);
    expect(error.expected).toMatchObject({ state: { logged_in: true } });
    expect(error.actual).toMatchObject({ state: { logged_in: false } });
  });
});

describe('Then', () => {
  test('an expected event without data does not assert its data', async () => {
    await Given('A login', [signup])
      .When(User, 'DoLoginAttempt', 'test', { a: 1 })
      .Then([{ name: 'logged_in' }]);
  });

  test('data must match exactly: an extra key fails', async () => {
    const error = await failureOf(
      Given('A login', [signup])
        .When(User, 'DoLoginAttempt', 'test', {})
        .Then([{ name: 'logged_in', data: { token: '{string}' } }]),
    );
    expect(error.message).toContain('[0].data.browserFingerprint: unexpected key, got {}');
  });

  test('placeholders match at any depth', async () => {
    await Given('A recorder records a nested value', [])
      .When(Recorder, 'Record', {
        id: '0b6c6e1a-86a3-4c1e-9a0f-0c1d2e3f4a5b',
        items: [{ at: DEFAULT_NOW, n: 2 }],
        ok: true,
      })
      .Then([
        {
          name: 'recorded',
          data: {
            value: { id: '{uuid}', items: [{ at: '{date}', n: '{number}' }], ok: '{boolean}' },
            label: '{any}',
            clock: '{date}',
          },
        },
      ]);
  });

  test('meta is matched on the keys it names', async () => {
    await Given('A recorder records', [])
      .When(Recorder, 'Record', 1)
      .Then([{ name: 'recorded', meta: { actor: 'Recorder' } }]);
    const error = await failureOf(
      Given('A recorder records', [])
        .When(Recorder, 'Record', 1)
        .Then([{ name: 'recorded', meta: { actor: 'User' } }]),
    );
    expect(error.message).toContain(`[0].meta.actor: expected 'User', got 'Recorder'`);
  });

  test('events fired into another stream are matched where Then names that stream', async () => {
    const result = await Given('A player refers a friend', [], { id: 'alice' })
      .When(Referrer, 'Refer', 'bob')
      .Then([
        { name: 'referral_sent', data: { friend: 'bob' } },
        { name: 'bonus_granted', stream: 'bob', data: { by: 'alice' } },
      ]);
    expect(result.events.map((event) => [event.stream, event.name])).toEqual([
      ['alice', 'referral_sent'],
      ['bob', 'bonus_granted'],
    ]);
  });

  test('an extra event before the expected ones is reported once, and the rest still line up', async () => {
    const error = await failureOf(
      Given('A player refers a friend', [], { id: 'alice' })
        .When(Referrer, 'Refer', 'bob')
        .Then([{ name: 'bonus_granted', stream: 'bob', data: { by: 'bob' } }]),
    );
    expect(error.message).toContain(`unexpected event [0] "referral_sent" { friend: 'bob' }`);
    expect(error.message).toContain(`[0].data.by: expected 'bob', got 'alice' (fired event [1])`);
    expect(error.message).toContain('Then: events fired into "alice", "bob"');
  });

  test('an event expected in another stream that was fired elsewhere is missing', async () => {
    const error = await failureOf(
      Given('A player refers a friend', [], { id: 'alice' })
        .When(Referrer, 'Refer', 'bob')
        .Then([{ name: 'referral_sent' }, { name: 'bonus_granted', stream: 'carol' }]),
    );
    expect(error.message).toContain('missing event [1] named "bonus_granted" in stream "carol"');
  });
});

describe('Given events', () => {
  test('belong to the actor under test unless they name a stream, and are stored in order', async () => {
    const result = await Given(
      'A recorder with history',
      [
        { name: 'seeded', data: { n: 1 } },
        { name: 'seeded', data: { n: 2 }, stream: 'elsewhere' },
        { name: 'seeded', data: { n: 3 } },
      ],
      { id: 'recorder-1' },
    )
      .When(Recorder, 'Record', 'x')
      .AndState({ seen: [{ n: 1 }, { n: 3 }, { value: 'x', label: 'unlabelled', clock: DEFAULT_NOW }] });
    const store = result.container.store;
    expect((await store.readStream('elsewhere')).map((event) => event.data)).toEqual([{ n: 2 }]);
    const all = await store.readAll();
    expect(all.map((event) => [event.stream, event.version])).toEqual([
      ['recorder-1', 1],
      ['elsewhere', 1],
      ['recorder-1', 2],
      ['recorder-1', 3],
    ]);
    expect(result.actor.version).toBe(3);
  });
});

describe('AndState', () => {
  test('matches only the keys it names', async () => {
    await Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').AndState({ lives: 0 });
  });

  test('compares the value under a named key whole', async () => {
    await Given('A nickname', [])
      .When(Player, 'ChooseNickname', 'neo')
      .AndState({ profile: { nickname: '{string}', badges: '{array}' } });
    const error = await failureOf(
      Given('A nickname', [])
        .When(Player, 'ChooseNickname', 'neo')
        // @ts-expect-error the value under a named key is compared whole, so its type needs every key
        .AndState({ profile: { nickname: 'trinity' } }),
    );
    expect(error.operator).toBe('AndState');
    expect(error.message).toContain(`state.profile.nickname: expected 'trinity', got 'neo'`);
    expect(error.message).toContain('state.profile.badges: unexpected key, got []');
    expect(error.actual).toEqual({ profile: { nickname: 'neo', badges: [] } });
  });
});

describe('AndReturns', () => {
  test('checks the awaited return value, with placeholders', async () => {
    await Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').AndReturns('neo');
    await Given('A recorder records', [])
      .When(Recorder, 'Record', 5)
      .AndReturns({
        id: '{uuid}',
        stream: DEFAULT_ACTOR_ID,
        name: 'recorded',
        data: { value: 5, label: 'unlabelled', clock: DEFAULT_NOW },
        version: 1,
        position: '{number}',
        at: '{date}',
        meta: '{object}',
      });
  });

  test('fails with the value it got', async () => {
    const error = await failureOf(
      Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').AndReturns('morpheus'),
    );
    expect(error.operator).toBe('AndReturns');
    expect(error.message).toContain(`returned: expected 'morpheus', got 'neo'`);
  });
});

describe('ThenThrows', () => {
  const blank = () => Given('A blank nickname', []).When(Player, 'ChooseNickname', ' ');

  test('accepts an error class, a part of the message, a pattern or the error’s properties', async () => {
    await blank().ThenThrows(RangeError);
    await blank().ThenThrows('cannot be blank');
    await blank().ThenThrows(/^a nickname/);
    await blank().ThenThrows({ name: 'RangeError', message: '{string}' });
    await Given('A failing recorder', [])
      .When(Recorder, 'Fail', 'boom')
      .ThenThrows({ code: 'RECORDER_FAILED' });
  });

  test('what was stored before the throw can still be checked', async () => {
    const result = await blank()
      .ThenThrows(RangeError)
      .Then([])
      .AndState({ profile: { nickname: '', badges: [] } });
    expect(result.thrown).toBeInstanceOf(RangeError);
  });

  test('catches an invalid event, thrown at once by Fire', async () => {
    class Sloppy extends Actor {
      FireBadName() {
        return this.Fire('not a valid name');
      }
    }
    await Given('A bad event name', []).When(Sloppy, 'FireBadName').ThenThrows(InvalidEventError);
    await Given('A bad event name', []).When(Sloppy, 'FireBadName').ThenThrows({ code: 'INVALID_EVENT' });
  });

  test('catches a failure that only Flush surfaces', async () => {
    const result = await Given('The store goes down', [], { container: containerRefusingDoomedEvents() })
      .When(Recorder, 'FireDoomed')
      .ThenThrows(StoreUnavailableError)
      .Then([]);
    expect(result.returned).toBeUndefined();
  });

  test('each form fails with what was thrown', async () => {
    const byClass = await failureOf(blank().ThenThrows(TypeError));
    expect(byClass.operator).toBe('ThenThrows');
    expect(byClass.message).toContain(
      'thrown: expected an instance of TypeError, got RangeError: a nickname cannot be blank',
    );
    expect(byClass.expected).toBe('TypeError');
    expect(byClass.actual).toBe('RangeError');
    const byText = await failureOf(blank().ThenThrows('too long'));
    expect(byText.message).toContain(
      'thrown.message: expected to contain "too long", got "a nickname cannot be blank"',
    );
    const byPattern = await failureOf(blank().ThenThrows(/long/));
    expect(byPattern.message).toContain('thrown.message: expected to match /long/');
    const byProperties = await failureOf(blank().ThenThrows({ code: 'INVALID_EVENT' }));
    expect(byProperties.message).toContain(`thrown.code: missing (expected 'INVALID_EVENT')`);
  });

  test('refuses an expectation that says nothing about an error', () => {
    const when = () => Given('A nickname', []).When(Player, 'ChooseNickname', 'neo');
    expect(() => when().ThenThrows((() => undefined) as unknown as typeof Error)).toThrow(UsageError);
    expect(() => when().ThenThrows(null as unknown as string)).toThrow(UsageError);
  });

  test('fails when nothing was thrown', async () => {
    const error = await failureOf(
      Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').ThenThrows(RangeError),
    );
    expect(error.message).toContain(
      `thrown: expected an instance of RangeError, but nothing was thrown (it returned 'neo')`,
    );
  });

  test('without ThenThrows, a throw rejects the story with the story and the cause', async () => {
    const error: unknown = await Given('A blank nickname', [])
      .When(Player, 'ChooseNickname', ' ')
      .Then([])
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AssertionError);
    expect((error as Error).message).toMatch(
      /^A blank nickname\n.*Player\.ChooseNickname\(\) threw RangeError/,
    );
    expect((error as Error).cause).toBeInstanceOf(RangeError);
  });

  test('without ThenThrows, a failure surfaced by Flush rejects the story too', async () => {
    const error: unknown = await Given('The store goes down', [], {
      container: containerRefusingDoomedEvents(),
    })
      .When(Recorder, 'FireDoomed')
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect((error as Error).cause).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('options', () => {
  test('services are added to the container', async () => {
    const tokens = { next: () => 'fixed-token' };
    await Given('A login with a known token', [signup], { services: { tokens } })
      .When(User, 'DoLoginAttempt', 'test', {})
      .Then([{ name: 'logged_in', data: { browserFingerprint: {}, token: 'fixed-token' } }])
      .AndReturns('fixed-token');
  });

  test('the clock stands still at a fixed date by default, and at options.now when given', async () => {
    const byDefault = await Given('A recorder records', [{ name: 'seeded' }]).When(Recorder, 'Record', 1);
    const times = async (container: Container) => (await container.store.readAll()).map((event) => event.at);
    expect(await times(byDefault.container)).toEqual([DEFAULT_NOW, DEFAULT_NOW]);

    const now = '2031-07-04T09:30:00.000Z';
    const chosen = await Given('A recorder records', [{ name: 'seeded' }], { now: new Date(now) })
      .When(Recorder, 'Record', 1)
      .Then([{ name: 'recorded', data: { value: 1, label: 'unlabelled', clock: now } }]);
    expect(await times(chosen.container)).toEqual([now, now]);
    expect(chosen.events[0]?.at).toBe(now);
  });

  test('id and constructorArgs shape the actor under test', async () => {
    const result = await Given('A labelled recorder', [], { id: 'rec-7', constructorArgs: ['kitchen'] })
      .When(Recorder, 'Record', 1)
      .Then([{ name: 'recorded', data: { value: 1, label: 'kitchen', clock: '{date}' } }]);
    expect(result.actor.id).toBe('rec-7');
    expect(result.events[0]?.stream).toBe('rec-7');
  });

  test('a given container is used instead of a fresh one', async () => {
    const container = containerRefusingDoomedEvents();
    await Given('A recorder on my container', [{ name: 'seeded', data: 1 }], { container })
      .When(Recorder, 'Record', 2)
      .AndState({ seen: [1, '{object}'] });
    expect(await container.store.streamVersion(DEFAULT_ACTOR_ID)).toBe(2);
  });

  test('a story runs the same against a SQLite container', async () => {
    const store = sqliteStore({ file: ':memory:' });
    try {
      const result = await Given('A user logs in, on SQLite', [signup], {
        container: createContainer({ store }),
      })
        .When(User, 'DoLoginAttempt', 'test', {})
        .Then([
          { name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' }, meta: { actor: 'User' } },
        ])
        .AndState({ logged_in: true });
      expect((await store.readStream(DEFAULT_ACTOR_ID)).map((event) => event.name)).toEqual([
        'signup',
        'logged_in',
      ]);
      expect(result.events[0]?.id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    } finally {
      await store.close();
    }
  });

  test('a container cannot be combined with services or now', () => {
    const container = containerRefusingDoomedEvents();
    expect(() => Given('Both', [], { container, services: {} })).toThrow(UsageError);
    expect(() => Given('Both', [], { container, now: DEFAULT_NOW })).toThrow(UsageError);
    expect(() => Given('Bad clock', [], { now: 'not a date' })).toThrow(UsageError);
  });
});

describe('WhenLoaded: a story with no command', () => {
  test('an actor with no command of its own is judged on the state the given events make', async () => {
    const result = await Given('A user signed up and logged in', [
      signup,
      { name: 'logged_in', data: { browserFingerprint: {}, token: 't' } },
    ])
      .WhenLoaded(Account)
      .Then([])
      .AndState({ username: 'test', logins: 1 });
    expect(result.events).toEqual([]);
    expect(result.returned).toBeUndefined();
    expect(result.actor.version).toBe(2);
  });

  test('fails like any story when the state differs', async () => {
    const error = await failureOf(
      Given('A user signed up', [signup]).WhenLoaded(Account).AndState({ logins: 1 }),
    );
    expect(error.message).toMatch(/^A user signed up\n {2}state\.logins: expected 1, got 0/);
  });

  test('refuses AndReturns and ThenThrows, which check a command', () => {
    const loaded = () => Given('Loaded', []).WhenLoaded(Account) as unknown as Story<Account, never>;
    expect(() => loaded().AndReturns(undefined as never)).toThrow(UsageError);
    expect(() => loaded().ThenThrows('anything')).toThrow(
      /ThenThrows checks a command, and WhenLoaded runs none/,
    );
  });

  test("needs the actor's class", () => {
    const whenLoaded = Given('No class', []).WhenLoaded as (actorClass: unknown) => unknown;
    expect(() => whenLoaded('Account')).toThrow(
      /^No class: WhenLoaded needs the actor's class, got 'Account'/,
    );
  });
});

describe('the chain', () => {
  test("works with a runner's own promise assertions", async () => {
    await expect(
      Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').AndReturns('neo'),
    ).resolves.toMatchObject({
      returned: 'neo',
    });
    await expect(
      Given('A nickname', []).When(Player, 'ChooseNickname', 'neo').AndReturns('trinity'),
    ).rejects.toThrow(/^A nickname\n {2}returned: expected 'trinity', got 'neo'/);
  });

  test('runs lazily, once, however many times it is awaited', async () => {
    const before = Recorder.constructed;
    const story = Given('A recorder records once', []).When(Recorder, 'Record', 1);
    expect(Recorder.constructed).toBe(before);
    const first = await story;
    const second = await story;
    expect(Recorder.constructed).toBe(before + 1);
    expect(second).toBe(first);
    expect(await first.container.store.streamVersion(DEFAULT_ACTOR_ID)).toBe(1);
  });

  test('takes its assertions in any order', async () => {
    await Given('A login', [signup])
      .When(User, 'DoLoginAttempt', 'test', {})
      .AndReturns('{string}')
      .AndState({ logged_in: true })
      .Then([{ name: 'logged_in' }]);
  });

  test('refuses an assertion added after it ran, or given twice', async () => {
    const story = Given('A recorder records', []).When(Recorder, 'Record', 1);
    await story;
    expect(() => story.Then([])).toThrow(/after the story ran/);
    expect(() => Given('Twice', []).When(Recorder, 'Record', 1).Then([]).Then([])).toThrow(
      /already in this chain/,
    );
  });

  test('a method the actor does not have rejects the story', async () => {
    const when = Given('No such method', []).When as (...args: unknown[]) => PromiseLike<unknown>;
    await expect(Promise.resolve(when(Recorder, 'Nope'))).rejects.toThrow(/Recorder has no method "Nope"/);
  });

  test('a given event the store refuses rejects the story with the cause', async () => {
    const error: unknown = await Given('A bad given event', [{ name: 'no spaces allowed' }])
      .When(Recorder, 'Record', 1)
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect((error as Error).message).toMatch(/^A bad given event\n {2}given event \[0\] "no spaces allowed"/);
    expect((error as Error).cause).toBeInstanceOf(InvalidEventError);
  });
});

describe('after the story', () => {
  /** Live actors of the store still listening, in this process. */
  const listening = (container: Container) => LiveFeed.of(container.store).consumerCount;

  test('a story on a LiveActor leaves nothing listening to its store', async () => {
    const result = await Given('A user logs in', [signup])
      .When(User, 'DoLoginAttempt', 'test', {})
      .AndState({ logged_in: true });
    expect(listening(result.container)).toBe(0);
    // The disposed actor's state stays readable.
    expect(result.state).toMatchObject({ logged_in: true });
  });

  test('a story that fails its assertions, or whose command throws, lets its LiveActor go too', async () => {
    const tokens = {
      next: () => {
        throw new Error('the token service is down');
      },
    };
    const withoutTokens = () => createContainer({ store: memoryStore(), tokens });

    const failing = withoutTokens();
    await failureOf(
      Given('A failed login', [signup], { container: failing })
        .When(User, 'DoLoginAttempt', 'wrong', {})
        .AndState({ logged_in: true }),
    );
    expect(listening(failing)).toBe(0);

    const throwing = withoutTokens();
    const thrown: unknown = await Given('A login without tokens', [signup], { container: throwing })
      .When(User, 'DoLoginAttempt', 'test', {})
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect((thrown as Error).message).toMatch(/the token service is down/);
    expect(listening(throwing)).toBe(0);

    const expectedToThrow = withoutTokens();
    await Given('A login without tokens, expected to fail', [signup], { container: expectedToThrow })
      .When(User, 'DoLoginAttempt', 'test', {})
      .ThenThrows('the token service is down');
    expect(listening(expectedToThrow)).toBe(0);
  });

  /** An actor of the user's own making: the story needs only its lifecycle and its state. */
  class Tally implements ActorUnderTest {
    readonly state = { total: 0 };
    constructor(
      readonly id: string,
      readonly container: Container,
    ) {}
    async Load() {
      return this;
    }
    async Flush() {}
    Add(amount: number) {
      this.state.total += amount;
      return this.state.total;
    }
  }

  class TallyThatCannotLetGo extends Tally {
    async Dispose() {
      throw new Error('still holding on');
    }
  }

  test('an actor without Dispose needs none', async () => {
    await Given('A tally adds', []).When(Tally, 'Add', 2).AndReturns(2).AndState({ total: 2 });
  });

  test('a failure to dispose rejects a story that otherwise passes, and never hides its own failure', async () => {
    const error: unknown = await Given('A tally adds', [])
      .When(TallyThatCannotLetGo, 'Add', 2)
      .AndReturns(2)
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).not.toBeInstanceOf(AssertionError);
    expect((error as Error).message).toMatch(/^A tally adds\n.*TallyThatCannotLetGo\.Dispose\(\) failed/);
    expect(((error as Error).cause as Error).message).toBe('still holding on');
    const failure = await failureOf(
      Given('A tally adds', []).When(TallyThatCannotLetGo, 'Add', 2).AndReturns(3),
    );
    expect(failure.message).toContain('returned: expected 3, got 2');
  });
});
