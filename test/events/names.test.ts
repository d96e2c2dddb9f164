import { describe, expect, it } from 'vitest';
import { InvalidEventError, MAX_EVENT_NAME_LENGTH, MAX_STREAM_ID_LENGTH } from 'omniscient-actors';
import { validateEventName, validateStreamId } from '../../src/events/names.js';

describe('event names', () => {
  it.each([
    'signup',
    'logged_in',
    '_private',
    'user.created',
    'v2:order-placed',
    'a'.repeat(MAX_EVENT_NAME_LENGTH),
  ])('accepts %s', (name) => expect(() => validateEventName(name)).not.toThrow());

  it.each([
    ['empty', '', /empty/],
    ['too long', 'a'.repeat(MAX_EVENT_NAME_LENGTH + 1), /limit is 128/],
    ['starting with a digit', '1st', /must start with/],
    ['with a space', 'logged in', /must start with/],
    ['with a quote', "x'; DROP TABLE events; --", /must start with/],
    ['with a control character', 'a\u0000b', /\\u0000/],
    ['not a string', 42, /must be a string/],
  ])('refuses a name %s', (_case, name, reason) => {
    expect(() => validateEventName(name)).toThrow(InvalidEventError);
    expect(() => validateEventName(name)).toThrow(reason);
  });
});

describe('stream ids', () => {
  it.each([
    'userName',
    'user@example.com',
    "o'brien; DROP TABLE events",
    'tenant/42/order',
    'ユーザー',
    'x'.repeat(256),
  ])('accepts %s', (id) => expect(() => validateStreamId(id)).not.toThrow());

  it.each([
    ['empty', '', /empty/],
    ['too long', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1), /limit is 256/],
    ['with a newline', 'a\nb', /control character/],
    ['with a NUL', 'a\u0000b', /control character/],
    ['with a lone surrogate', 'a\ud800b', /lone UTF-16 surrogate/],
    ['with leading white space', ' a', /white space/],
    ['not a string', undefined, /must be a string/],
  ])('refuses an id %s', (_case, id, reason) => {
    expect(() => validateStreamId(id)).toThrow(reason);
  });
});
