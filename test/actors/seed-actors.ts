/** The User and Player of the product's seed story, shared by the actor tests. */
import { Actor, LiveActor, type Container } from 'omniscient-actors';

export class User extends LiveActor {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state['logged_in'] = false;
  }

  Signup(username: string, password: string) {
    return this.Fire('signup', { username, password });
  }

  DoLoginAttempt(password: string, fingerprint: object) {
    if (this._state['password'] === password) {
      const token = `token-${this.version + 1}`;
      this.Fire('logged_in', { browserFingerprint: fingerprint, token });
      return token;
    }
    return this.Fire('invalid_login', { browserFingerprint: fingerprint });
  }

  signup(data: { username: string; password: string }) {
    this._state['username'] = data.username;
    this._state['password'] = data.password;
  }

  logged_in() {
    this._state['logged_in'] = true;
  }
}

export class Player extends Actor {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state['lives'] = 0;
  }

  Pay(amount: number) {
    return this.Fire('payment_received', { amount });
  }

  payment_received(data: { amount: number }) {
    this._state['lives'] += Math.floor(data.amount / 10);
  }
}
