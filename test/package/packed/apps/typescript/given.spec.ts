/** The seed's `Given` test of the User, under `node:test`, against the installed package. */
import { test } from 'node:test';
import { Given } from 'omniscient-actors/testing';
import { User } from './user.js';

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
