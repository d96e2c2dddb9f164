/**
 * The seed's User, as a CommonJS application (`npm init -y`) declares it: `require` of the
 * package's ES modules, which Node.js >= 20.19 loads synchronously.
 */
const { LiveActor } = require('omniscient-actors');

class User extends LiveActor {
  constructor(id, container) {
    super(id, container);
    this._state = { logged_in: false };
  }

  Signup(password) {
    return this.Fire('signed_up', { password });
  }

  DoLoginAttempt(password) {
    if (this._state.password !== password)
      return this.Fire('invalid_login', { at: new Date().toISOString() });
    return this.Fire('logged_in', { token: this.container.newId() });
  }

  signed_up(data) {
    this._state.password = data.password;
  }

  logged_in() {
    this._state.logged_in = true;
  }

  invalid_login() {}
}

module.exports = { User };
