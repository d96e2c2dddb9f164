/**
 * The seed's User, as an application written in TypeScript declares it against the installed
 * package: a LiveActor that signs up and logs in.
 */
import { LiveActor, type Container, type Handlers } from 'omniscient-actors';

export interface UserState {
  logged_in: boolean;
  password?: string;
}

export interface UserEvents {
  signed_up: { password: string };
  logged_in: { token: string };
  invalid_login: { at: string };
}

export class User extends LiveActor<UserState, UserEvents> implements Handlers<UserEvents> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { logged_in: false };
  }

  Signup(password: string) {
    return this.Fire('signed_up', { password });
  }

  DoLoginAttempt(password: string) {
    if (this._state.password !== password)
      return this.Fire('invalid_login', { at: new Date().toISOString() });
    return this.Fire('logged_in', { token: this.container.newId() });
  }

  signed_up(data: UserEvents['signed_up']) {
    this._state.password = data.password;
  }

  logged_in() {
    this._state.logged_in = true;
  }

  invalid_login() {}
}
