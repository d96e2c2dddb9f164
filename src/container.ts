/**
 * The injection container every actor is built with: the store, a clock, an id generator, a
 * logger, an error hook and the user's own services, each replaceable so that tests can swap it.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore } from './engines/engine.js';
import { MissingServiceError } from './errors.js';

export interface Clock {
  now(): Date;
}

/** How much a logger writes, from everything (`debug`) to nothing (`silent`). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * Where the library says what it does: `debug` for each append, conflict and rebase, `info` for a
 * live feed that hears its store again, `warn` and `error` for what needs a look.
 */
export interface Logger {
  /**
   * The least severe level this logger writes. The library builds no `debug` or `info` line below
   * it, so a logger that states it costs nothing on the hot path; without it, every line is built
   * and handed over.
   */
  readonly level?: LogLevel;
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Where a reported error came from. */
export interface ErrorContext {
  /** What was being done: `'append'`, `'load'`, … */
  readonly operation: string;
  /** The actor's class name. */
  readonly actor?: string;
  readonly stream?: string;
  readonly event?: string;
}

/** Sees every error that happens away from a caller that could catch it (an un-awaited `Fire`). */
export type ErrorHook = (error: unknown, context: ErrorContext) => void;

export interface ContainerOptions {
  store: EventStore;
  clock?: Clock;
  /** Makes event ids; UUIDs by default. */
  newId?: () => string;
  logger?: Logger;
  onError?: ErrorHook;
}

/** Names a user service may not take: they are the container's own. */
const OWN_KEYS = new Set(['store', 'clock', 'newId', 'logger', 'onError', 'service', 'services']);

export interface Container {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly onError: ErrorHook;
  /** The user services given to `createContainer`, by name. */
  readonly services: Readonly<Record<string, unknown>>;
  /** A user service by name; throws `MissingServiceError` if the container was not given it. */
  service<T = unknown>(name: string): T;
}

export const systemClock: Clock = { now: () => new Date() };

const LOG_RANKS: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Whether `logger` writes lines of `level`; one that does not state its level writes them all. */
export function logsAt(logger: Logger, level: Exclude<LogLevel, 'silent'>): boolean {
  const threshold = logger.level === undefined ? undefined : LOG_RANKS[logger.level];
  return threshold === undefined || LOG_RANKS[level] >= threshold;
}

/** Writes a line; a logger that throws changes nothing of what the library was doing. */
export function logQuietly(
  logger: Logger,
  level: Exclude<LogLevel, 'silent'>,
  message: string,
  context: Record<string, unknown>,
): void {
  try {
    logger[level](message, context);
  } catch {
    // Logging is a view of the work, never a part of it.
  }
}

/**
 * A logger that writes warnings and errors to stderr and stays quiet otherwise; set
 * `OMNISCIENT_LOG=debug` (or `info`) to see more.
 */
export function consoleLogger(level = process.env['OMNISCIENT_LOG'] ?? 'warn'): Logger {
  const known = Object.hasOwn(LOG_RANKS, level) ? (level as LogLevel) : 'warn';
  const threshold = LOG_RANKS[known];
  const write = (rank: number, label: string) => (message: string, context?: Record<string, unknown>) => {
    if (rank < threshold) return;
    if (context === undefined) console.error(`[omniscient] ${label} ${message}`);
    else console.error(`[omniscient] ${label} ${message}`, context);
  };
  return {
    level: known,
    debug: write(0, 'debug'),
    info: write(1, 'info'),
    warn: write(2, 'warn'),
    error: write(3, 'error'),
  };
}

/**
 * Builds a container. Every option besides the container's own (`store`, `clock`, `newId`,
 * `logger`, `onError`) is a user service, reachable as a property of the container and through
 * `service(name)`:
 *
 * ```ts
 * const container = createContainer({ store: sqliteStore({ file: 'app.db' }), payments });
 * container.payments; container.service<Payments>('payments');
 * ```
 */
export function createContainer<Services extends object = Record<never, never>>(
  options: ContainerOptions & Services,
): Container & Services {
  if (typeof options !== 'object' || options === null || options.store === undefined) {
    throw new TypeError('createContainer needs a store, e.g. createContainer({ store: memoryStore() })');
  }
  const logger = options.logger ?? consoleLogger();
  const services: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!OWN_KEYS.has(key)) services[key] = value;
  }
  const container: Container = {
    store: options.store,
    clock: options.clock ?? systemClock,
    newId: options.newId ?? randomUUID,
    logger,
    onError:
      options.onError ??
      ((error, context) =>
        logger.error(error instanceof Error ? error.message : String(error), { ...context })),
    services: Object.freeze(services),
    service<T>(name: string): T {
      if (!Object.prototype.hasOwnProperty.call(services, name)) throw new MissingServiceError(name);
      return services[name] as T;
    },
  };
  return Object.freeze(Object.assign(container, services)) as Container & Services;
}
