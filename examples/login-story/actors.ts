/**
 * The actors of the login story: a User who signs up and logs in, and a Player — the same person,
 * the same id, so the same stream — who gets a life for every payment.
 */
import { LiveActor, type Container, type Handlers } from 'omniscient-actors';

export interface PaymentGateway {
  charge(account: string, cents: number): { receipt: string };
}

interface UserState {
  username?: string;
  password?: string;
  logged_in: boolean;
  failedLogins: number;
}

interface UserEvents {
  signed_up: { username: string; password: string };
  logged_in: { browserFingerprint: object; token: string };
  invalid_login: { browserFingerprint: object };
}

export class User extends LiveActor<UserState, UserEvents> implements Handlers<UserEvents> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { logged_in: false, failedLogins: 0 };
  }

  get signedUp(): boolean {
    return this._state.username !== undefined;
  }

  Signup(password: string) {
    if (this.signedUp) throw new Error(`${this.id} has already signed up`);
    return this.Fire('signed_up', { username: this.id, password });
  }

  DoLoginAttempt(password: string, fingerprint: object) {
    if (this._state.password === password) {
      const token = this.container.newId();
      void this.Fire('logged_in', { browserFingerprint: fingerprint, token });
      return token;
    }
    void this.Fire('invalid_login', { browserFingerprint: fingerprint });
    return undefined;
  }

  signed_up(data: UserEvents['signed_up']) {
    this._state.username = data.username;
    this._state.password = data.password;
  }

  logged_in() {
    this._state.logged_in = true;
  }

  invalid_login() {
    this._state.failedLogins += 1;
  }
}

interface PlayerState {
  lives: number;
  paidCents: number;
}

interface PlayerEvents {
  payment_received: { cents: number; receipt: string };
  life_gained: { lives: number };
}

/** A life costs this much. */
const LIFE_PRICE_CENTS = 100;

export class Player extends LiveActor<PlayerState, PlayerEvents> implements Handlers<PlayerEvents> {
  declare readonly container: Container & { payments: PaymentGateway };

  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { lives: 0, paidCents: 0 };
  }

  Pay(cents: number) {
    const { receipt } = this.container.payments.charge(this.id, cents);
    void this.Fire('payment_received', { cents, receipt });
    const lives = Math.floor(cents / LIFE_PRICE_CENTS);
    if (lives > 0) void this.Fire('life_gained', { lives });
    return receipt;
  }

  payment_received(data: PlayerEvents['payment_received']) {
    this._state.paidCents += data.cents;
  }

  life_gained(data: PlayerEvents['life_gained']) {
    this._state.lives += data.lives;
  }
}
