/**
 * The rules for event names and stream ids. They are checked before anything is stored, so that
 * every stored name can be a handler name and every stream id is printable and bounded.
 *
 * - An event name is 1 to 128 characters: ASCII letters, digits, `_`, `-`, `.` and `:`, starting
 *   with a letter or `_`. Only names that are also JavaScript identifiers can have a handler.
 * - A stream id is 1 to 256 characters of any script, with no control characters, no leading or
 *   trailing white space, and no lone UTF-16 surrogate (it would not survive a round trip).
 */
import { InvalidEventError } from '../errors.js';

export const MAX_EVENT_NAME_LENGTH = 128;
export const MAX_STREAM_ID_LENGTH = 256;

const EVENT_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
// C0 and C1 control characters, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// In a `u` regular expression a surrogate pair is one code point: only a lone half matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** True when `text` holds a control character (C0, C1, or a line or paragraph separator). */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** True when `text` is well-formed UTF-16, so that every store keeps it as it is. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function validateEventName(name: unknown, path = 'name'): asserts name is string {
  if (typeof name !== 'string') throw new InvalidEventError(path, `must be a string, got ${typeof name}`);
  if (name.length === 0) throw new InvalidEventError(path, 'must not be empty');
  if (name.length > MAX_EVENT_NAME_LENGTH) {
    throw new InvalidEventError(
      path,
      `is ${name.length} characters long; the limit is ${MAX_EVENT_NAME_LENGTH}`,
    );
  }
  if (!EVENT_NAME.test(name)) {
    throw new InvalidEventError(
      path,
      `"${printable(name)}" must start with a letter or "_" and hold only letters, digits, "_", "-", "." and ":"`,
    );
  }
}

export function validateStreamId(stream: unknown, path = 'stream'): asserts stream is string {
  if (typeof stream !== 'string') throw new InvalidEventError(path, `must be a string, got ${typeof stream}`);
  if (stream.length === 0) throw new InvalidEventError(path, 'must not be empty');
  if (stream.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidEventError(
      path,
      `is ${stream.length} characters long; the limit is ${MAX_STREAM_ID_LENGTH}`,
    );
  }
  if (CONTROL.test(stream))
    throw new InvalidEventError(path, `"${printable(stream)}" holds a control character`);
  if (stream.trim() !== stream) {
    throw new InvalidEventError(path, `"${printable(stream)}" starts or ends with white space`);
  }
  if (!isWellFormedText(stream)) {
    throw new InvalidEventError(
      path,
      `"${printable(stream)}" holds a lone UTF-16 surrogate, which no store can keep`,
    );
  }
}

/** A name as it can be shown in a message: control characters escaped, cut to a readable length. */
function printable(value: string): string {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return shown.slice(1, -1);
}
