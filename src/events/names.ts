/**
 * The rules for event names and stream ids. They are checked before anything is stored, so that
 * every stored name can be a handler name and every stream id is printable and bounded.
 *
 * - An event name is 1 to 128 characters: ASCII letters, digits, `_`, `-`, `.` and `:`, starting
 *   with a letter or `_`. Only names that are also JavaScript identifiers can have a handler.
 * - A stream id is 1 to 256 characters of any script, with no control characters, no leading or
 *   trailing white space, and no lone UTF-16 surrogate (it would not survive a round trip).
 * - An actor id is a stream id; a bad one is reported as an actor id (`InvalidActorIdError`), a
 *   bad stream id given to a store as an event's (`InvalidEventError`).
 */
import { InvalidActorIdError, InvalidEventError } from '../errors.js';

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
  const problem = streamIdProblem(stream);
  if (problem !== undefined) throw new InvalidEventError(path, problem);
}

/**
 * An actor's id is its stream's id, under the same rules, but a bad one is the caller's actor id
 * problem, not an event's: it is refused with `InvalidActorIdError` naming `where` it was given.
 */
export function validateActorId(id: unknown, where: string): asserts id is string {
  const problem = streamIdProblem(id);
  if (problem !== undefined) throw new InvalidActorIdError(where, id, problem);
}

/**
 * Why `stream` cannot be a stream id (or an actor id, which is one), as the end of a sentence
 * naming it: `must not be empty`, `"a\nb" holds a control character`; `undefined` when it can.
 */
export function streamIdProblem(stream: unknown): string | undefined {
  if (typeof stream !== 'string') return `must be a string, got ${typeof stream}`;
  if (stream.length === 0) return 'must not be empty';
  if (stream.length > MAX_STREAM_ID_LENGTH) {
    return `is ${stream.length} characters long; the limit is ${MAX_STREAM_ID_LENGTH}`;
  }
  if (CONTROL.test(stream)) return `"${printable(stream)}" holds a control character`;
  if (stream.trim() !== stream) return `"${printable(stream)}" starts or ends with white space`;
  if (!isWellFormedText(stream)) {
    return `"${printable(stream)}" holds a lone UTF-16 surrogate, which no store can keep`;
  }
  return undefined;
}

/** A name as it can be shown in a message: control characters escaped, cut to a readable length. */
export function printable(value: string): string {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return shown.slice(1, -1);
}
