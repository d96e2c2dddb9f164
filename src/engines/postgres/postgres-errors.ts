/**
 * Turns what `pg` and the server report into Omniscient's typed errors, so that no raw driver
 * error leaves the engine, and tells apart the failures worth retrying (the connection was lost or
 * refused, the server is starting or shutting down, a deadlock or serialization failure rolled the
 * transaction back) from those that will not go away by themselves (a wrong password, a missing
 * database, a permission). Messages name the server as `user@host:port/database`, never with the
 * password.
 */
import { messageOf, OmniscientError, StoreUnavailableError } from '../../errors.js';

/** SQLSTATEs after which the same call may succeed: nothing was done, or the work was rolled back. */
const TRANSIENT_STATES = new Set([
  '57P01', // admin_shutdown: the backend was terminated, or the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Socket errors of Node that mean the server could not be reached or the connection broke. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** What `pg` throws, as plain errors, when a connection ends or cannot be made in time. */
const TRANSIENT_DRIVER_MESSAGES = [
  'Connection terminated',
  'connection error',
  'timeout exceeded when trying to connect',
  'Connection timeout',
  'not queryable',
  'Client was closed',
];

/** What the common SQLSTATEs of a refused connection mean, in words a user can act on. */
const REASONS: Readonly<Record<string, string>> = {
  '28P01': 'the password was refused',
  '28000': 'the server refused this user or client address (see pg_hba.conf)',
  '3D000': 'the database does not exist',
  '42501': 'the user lacks a privilege the store needs',
  '53300': 'the server has no connection slot left',
  '57P01': 'the server ended the connection',
  '57P03': 'the server is starting up or shutting down',
  '3F000': 'the schema does not exist',
};

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function socketCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('E') && !/^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * True when nothing accepted the connection: no server listens at that host and port (a wrong
 * address, or a server not started). Worth waiting for only where a server was reached before.
 */
export function isRefusedConnection(error: unknown): boolean {
  if (socketCode(error) === 'ECONNREFUSED') return true;
  const errors = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every(isRefusedConnection);
}

/** True when the call that failed may be made again: the server did nothing, or rolled it back. */
export function isTransient(error: unknown): boolean {
  if (error instanceof OmniscientError) {
    return error instanceof StoreUnavailableError && error.cause !== undefined && isTransient(error.cause);
  }
  const state = sqlState(error);
  if (state !== undefined) return TRANSIENT_STATES.has(state) || state.startsWith('08');
  const socket = socketCode(error);
  if (socket !== undefined) return TRANSIENT_SOCKET_CODES.has(socket);
  const errors = (error as { errors?: unknown } | null)?.errors;
  // Node reports a refused connection to every address of a host as one AggregateError.
  if (Array.isArray(errors) && errors.length > 0) return errors.every(isTransient);
  const message = messageOf(error);
  return TRANSIENT_DRIVER_MESSAGES.some((fragment) => message.includes(fragment));
}

export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/** The constraint a server error names, if any (`events_id_key`, …). */
export function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/**
 * The typed error for anything that went wrong talking to the server at `target`. Omniscient's own
 * errors pass through unchanged.
 */
export function storeErrorFrom(error: unknown, target: string, doing = 'use'): unknown {
  if (error instanceof OmniscientError) return error;
  const state = sqlState(error);
  const detail = describeDriverError(error);
  const reason =
    state === undefined
      ? isRefusedConnection(error)
        ? 'nothing accepts connections there (is the server running, and are the host and port right?)'
        : undefined
      : REASONS[state];
  const message =
    `could not ${doing} the PostgreSQL store at ${target}: ` +
    (reason === undefined ? detail : `${reason} (${detail})`);
  return new StoreUnavailableError(message, { cause: error });
}

function describeDriverError(error: unknown): string {
  const state = sqlState(error);
  const errors = (error as { errors?: unknown } | null)?.errors;
  let message = messageOf(error);
  if (message === '' && Array.isArray(errors)) message = errors.map(messageOf).join('; ');
  if (message === '') message = socketCode(error) ?? 'unknown error';
  return state === undefined ? message : `${message}; SQLSTATE ${state}`;
}
