/** The seed's `Given` test of the User, under `node:test`, from CommonJS. */
const { test } = require('node:test');
const { Given } = require('omniscient-actors/testing');
const { User } = require('./user.cjs');

test('a user logs in with the right password', async () => {
  await Given('a user logs in with the right password', [{ name: 'signed_up', data: { password: 'secret' } }])
    .When(User, 'DoLoginAttempt', 'secret')
    .Then([{ name: 'logged_in', data: { token: '{uuid}' } }])
    .AndState({ logged_in: true, password: 'secret' });
});

test('a wrong password is recorded and does not log the user in', async () => {
  await Given('a user tries a wrong password', [{ name: 'signed_up', data: { password: 'secret' } }])
    .When(User, 'DoLoginAttempt', 'guess')
    .Then([{ name: 'invalid_login', data: { at: '{date}' } }])
    .AndState({ logged_in: false, password: 'secret' });
});
