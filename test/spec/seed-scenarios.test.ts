/**
 * The seed scenarios of the product contract, written as a user would write them: the login test
 * with placeholders, and a User and a Player sharing one id.
 */
import { describe, expect, it } from 'vitest';
import { Actor, createContainer, LiveActor, memoryStore, type Container } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { Given } from 'omniscient-actors/testing';

class User extends LiveActor {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state['logged_in'] = false;
  }
  DoLoginAttempt(password: string, fingerprint: object) {
    if (this._state['password'] === password) {
      const token = this.generateToken();
      this.Fire('logged_in', { browserFingerprint: fingerprint, token });
      return token;
    }
    return this.Fire('invalid_login', { browserFingerprint: fingerprint });
  }
  generateToken() {
    return Math.random().toString(36).slice(2);
  }
  signup(data: { username: string; password: string }) {
    this._state['username'] = data.username;
    this._state['password'] = data.password;
  }
  logged_in(_data: unknown) {
    this._state['logged_in'] = true;
  }
}

class Player extends Actor {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state['lives'] = 0;
  }
  Pay(amount: number) {
    return this.Fire('payment_received', { amount });
  }
  payment_received(data: { amount: number }) {
    this._state['lives'] += 1;
    this._state['paid'] = ((this._state['paid'] as number | undefined) ?? 0) + data.amount;
  }
}

describe('the seed scenarios', () => {
  it('a user logs in for the first time', async () => {
    await Given('A user logs in for the first time', [
      { name: 'signup', data: { username: 'test', password: 'test' } },
    ])
      .When(User, 'DoLoginAttempt', 'test', {})
      .Then([{ name: 'logged_in', data: { browserFingerprint: {}, token: '{string}' } }])
      .AndState({ logged_in: true });
  });

  it('a wrong password is an invalid login', async () => {
    await Given('A user mistypes the password', [
      { name: 'signup', data: { username: 'test', password: 'test' } },
    ])
      .When(User, 'DoLoginAttempt', 'nope', { browser: 'x' })
      .Then([{ name: 'invalid_login', data: { browserFingerprint: { browser: 'x' } } }])
      .AndState({ logged_in: false });
  });

  it.each([
    ['memory', () => memoryStore()],
    ['sqlite', () => sqliteStore({ file: ':memory:' })],
  ])('a User and a Player constructed with one id share its stream (%s)', async (_engine, makeStore) => {
    const store = makeStore();
    const container = createContainer({ store });
    try {
      const user = await new User('userName', container).Load();
      await store.appendToStream('userName', [
        { name: 'signup', data: { username: 'userName', password: 'pw' } },
      ]);
      await user.Load();
      const token = user.DoLoginAttempt('pw', {});
      await user.Flush();
      expect(token).toEqual(expect.any(String));

      const player = await new Player('userName', container).Load();
      await player.Pay(5);

      const freshUser = await new User('userName', container).Load();
      const freshPlayer = await new Player('userName', container).Load();
      expect(freshUser.state).toMatchObject({ logged_in: true, username: 'userName' });
      expect(freshPlayer.state).toEqual({ lives: 1, paid: 5 });
      expect(freshUser.version).toBe(3);
      expect(freshPlayer.version).toBe(3);
      expect((await store.readStream('userName')).map((event) => event.name)).toEqual([
        'signup',
        'logged_in',
        'payment_received',
      ]);
    } finally {
      await store.close();
    }
  });
});
