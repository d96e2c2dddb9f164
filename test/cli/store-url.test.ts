import { describe, expect, it } from 'vitest';
import {
  CliNotFoundError,
  CliUsageError,
  describeError,
  ExitCode,
  exitCodeOf,
} from '../../src/cli/cli-errors.js';
import { storeUrlFrom } from '../../src/cli/open-store.js';
import { describeTarget, parseStoreUrl, redact } from '../../src/cli/store-url.js';
import { StoreUnavailableError, UsageError } from '../../src/errors.js';

describe('parseStoreUrl', () => {
  it('reads a relative, an absolute and an in-memory SQLite file', () => {
    expect(parseStoreUrl('sqlite:./events.db')).toEqual({ engine: 'sqlite', file: './events.db' });
    expect(parseStoreUrl('sqlite:events.db')).toEqual({ engine: 'sqlite', file: 'events.db' });
    expect(parseStoreUrl('sqlite:/abs/path.db')).toEqual({ engine: 'sqlite', file: '/abs/path.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ engine: 'sqlite', file: ':memory:' });
  });

  it('reads sqlite://path as sqlite:path, so sqlite:///abs is an absolute path', () => {
    expect(parseStoreUrl('sqlite://events.db')).toEqual({ engine: 'sqlite', file: 'events.db' });
    expect(parseStoreUrl('sqlite:///abs/path.db')).toEqual({ engine: 'sqlite', file: '/abs/path.db' });
  });

  it('reads postgres:// and postgresql:// URLs, taking ?schema= out as the schema', () => {
    expect(parseStoreUrl('postgres://u@h:5432/db')).toEqual({
      engine: 'postgres',
      connectionString: 'postgres://u@h:5432/db',
    });
    expect(parseStoreUrl('postgresql://u:pw@h/db?schema=app_events&sslmode=disable')).toEqual({
      engine: 'postgres',
      connectionString: 'postgresql://u:pw@h/db?sslmode=disable',
      schema: 'app_events',
    });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['sqlite:', /names no file/],
    ['mysql://h/db', /must start with sqlite:, postgres:\/\/ or postgresql:\/\//],
    ['./events.db', /must start with/],
    ['postgres://u@h/db?schema=', /empty schema/],
    ['postgres://u@h/db?schema=a&schema=b', /more than one schema/],
    ['postgres://u@[bad/db', /not a valid URL/],
  ])('refuses %j with a usage error', (url, message) => {
    expect(() => parseStoreUrl(url)).toThrow(CliUsageError);
    expect(() => parseStoreUrl(url)).toThrow(message);
  });

  it('never prints a password', () => {
    expect(redact('postgres://u:secret@h/db')).toBe('postgres://u:***@h/db');
    expect(redact('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(describeTarget(parseStoreUrl('postgres://u:secret@h/db?schema=s'))).not.toContain('secret');
    expect(() => parseStoreUrl('mysql://u:secret@h/db')).toThrow(/^(?!.*secret)/);
  });
});

describe('storeUrlFrom', () => {
  it('takes --store first, then OMNISCIENT_STORE', () => {
    expect(storeUrlFrom('sqlite:a.db', { OMNISCIENT_STORE: 'sqlite:b.db' })).toBe('sqlite:a.db');
    expect(storeUrlFrom(undefined, { OMNISCIENT_STORE: 'sqlite:b.db' })).toBe('sqlite:b.db');
  });

  it('refuses neither, or an empty variable, saying how to give one', () => {
    expect(() => storeUrlFrom(undefined, {})).toThrow(/pass --store <url> or set OMNISCIENT_STORE/);
    expect(() => storeUrlFrom(undefined, { OMNISCIENT_STORE: '' })).toThrow(CliUsageError);
  });
});

describe('exit codes', () => {
  it('maps each kind of error to its documented code', () => {
    expect(exitCodeOf(new CliUsageError('x'))).toBe(ExitCode.usage);
    expect(exitCodeOf(new UsageError('x'))).toBe(ExitCode.usage);
    expect(exitCodeOf(new StoreUnavailableError('x'))).toBe(ExitCode.unavailable);
    expect(exitCodeOf(new CliNotFoundError('x'))).toBe(ExitCode.notFound);
    expect(exitCodeOf(new TypeError('x'))).toBe(ExitCode.failure);
    expect(exitCodeOf('x')).toBe(ExitCode.failure);
  });

  it('describes an unexpected error by its kind and points to --debug', () => {
    expect(describeError(new TypeError('boom'))).toBe(
      'TypeError: boom (run again with --debug for the details)',
    );
    expect(describeError(new CliNotFoundError('no stream "x"'))).toBe('no stream "x"');
  });
});
