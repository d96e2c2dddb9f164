/**
 * The names a store uses on the server, all derived from its schema name: the quoted schema, the
 * NOTIFY channel, the advisory lock keys and the prepared statement names. The schema name is the
 * only text ever put into SQL by the engine rather than passed as a bind parameter, so it is
 * checked here to be a plain lower-case identifier and always used quoted.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { describeValue } from '../describe-value.js';

export const DEFAULT_SCHEMA = 'omniscient';

/** Lower-case letters, digits and `_`, not starting with a digit, at most 63 bytes (PostgreSQL's limit). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The longest NOTIFY channel name: an identifier of at most 63 bytes. */
const MAX_IDENTIFIER_BYTES = 63;

export interface SchemaNames {
  readonly schema: string;
  /** The schema as an SQL identifier, quoted. */
  readonly quoted: string;
  /** The NOTIFY channel the append function notifies on. */
  readonly channel: string;
  /**
   * The advisory lock (one bigint key) under which positions are drawn: held from the first
   * position of an append to its commit, it makes positions commit in increasing order.
   */
  readonly positionLockKey: string;
  /** The first key of the advisory locks (two int4 keys) that queue the writers of one stream. */
  readonly streamLockSpace: number;
  /** The advisory lock (one bigint key) that lets one process at a time migrate the schema. */
  readonly migrationLockKey: string;
  /** A prefix that makes prepared statement names unique per schema on a shared connection. */
  readonly statementPrefix: string;
}

export function validateSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new UsageError(
      `schema must be a lower-case SQL identifier (letters a-z, digits and "_", not starting with a digit, ` +
        `at most 63 characters), got ${describeValue(schema)}`,
    );
  }
  // PostgreSQL reserves these for its own schemas and refuses to create one.
  if (schema.startsWith('pg_')) {
    throw new UsageError(`schema must not start with "pg_", which PostgreSQL reserves, got "${schema}"`);
  }
}

export function schemaNames(schema: string): SchemaNames {
  validateSchemaName(schema);
  const digest = createHash('sha256').update(`omniscient:${schema}`).digest();
  return {
    schema,
    quoted: quoteIdentifier(schema),
    channel: channelName(schema, digest),
    positionLockKey: digest.readBigInt64BE(0).toString(),
    streamLockSpace: digest.readInt32BE(8),
    migrationLockKey: digest.readBigInt64BE(16).toString(),
    statementPrefix: `omniscient.${digest.subarray(24, 30).toString('hex')}`,
  };
}

/** Quotes an identifier already checked to hold no quote: keywords (`user`, `select`) stay usable. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** Quotes a text as an SQL string literal, for the few constants baked into DDL. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function channelName(schema: string, digest: Buffer): string {
  const channel = `omniscient.${schema}`;
  if (channel.length <= MAX_IDENTIFIER_BYTES) return channel;
  // A longer name would be cut by the server, and two long schemas could then share a channel.
  const suffix = `.${digest.subarray(30, 32).toString('hex')}`;
  return channel.slice(0, MAX_IDENTIFIER_BYTES - suffix.length) + suffix;
}
