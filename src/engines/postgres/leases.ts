/**
 * The PostgreSQL engine's lease calls: each one statement (the functions of `lease-functions.ts`
 * or a single UPDATE or SELECT), every value a bind parameter, judged on the server's clock.
 * A call retried after a lost connection is safe: acquiring, taking over or renewing again by the
 * same holder answers with the same tenure, and releasing again changes nothing more.
 */
import { StoreUnavailableError } from '../../errors.js';
import type { LeaseAnswer, LeaseRenewal, LeaseState } from '../engine.js';
import type { Database, TextRow } from './connection.js';
import type { SchemaNames } from './identifiers.js';
import { leaseStatementTexts } from './lease-functions.js';
import { wholeNumber } from './rows.js';

export interface PostgresLeases {
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseAnswer>;
  takeOverLease(name: string, holder: string, ttlMs: number, term: number): Promise<LeaseAnswer>;
  renewLeases(holder: string, ttlMs: number): Promise<LeaseRenewal | undefined>;
  releaseLease(name: string, holder: string): Promise<boolean>;
  releaseHolder(holder: string): Promise<void>;
  readLease(name: string): Promise<LeaseState>;
}

export function postgresLeases(db: Database, names: SchemaNames): PostgresLeases {
  const texts = leaseStatementTexts(names);
  const statement = (key: keyof typeof texts, values: unknown[]) => ({
    name: `${names.statementPrefix}.lease-${key}`,
    text: texts[key],
    values,
  });
  return {
    async acquireLease(name, holder, ttlMs) {
      const [row] = await db.query(statement('acquire', [name, holder, ttlMs]), 'acquire a lease in');
      return answerOf(name, row);
    },
    async takeOverLease(name, holder, ttlMs, term) {
      const [row] = await db.query(
        statement('takeOver', [name, holder, ttlMs, term]),
        'take over a lease in',
      );
      return answerOf(name, row);
    },
    async renewLeases(holder, ttlMs) {
      const [row] = await db.query(statement('renew', [holder, ttlMs]), 'renew leases in');
      if (row === undefined) return undefined;
      const [expiresAt, expiresInMs] = row;
      const remaining = wholeNumber(expiresInMs);
      if (typeof expiresAt !== 'string' || remaining === undefined) throw malformed(`of holder ${holder}`);
      return { holder, expiresAt, expiresInMs: remaining };
    },
    async releaseLease(name, holder) {
      const rows = await db.query(statement('release', [name, holder]), 'release a lease in');
      return rows.length > 0;
    },
    async releaseHolder(holder) {
      await db.query(statement('releaseHolder', [holder]), 'release a lease holder in');
    },
    async readLease(name) {
      const [row] = await db.query(statement('read', [name]), 'read a lease from');
      if (row === undefined) return { name, term: 0, held: undefined };
      return stateOf(name, row);
    },
  };
}

function answerOf(name: string, row: TextRow | undefined): LeaseAnswer {
  const [granted, current, term, expiresAt, expiresInMs] = row ?? [];
  if (granted !== 't' && granted !== 'f') throw malformed(name);
  const lease = leaseOf(name, current, term, expiresAt, expiresInMs);
  return granted === 't' ? { granted: true, ...lease } : { granted: false, ...lease };
}

function stateOf(name: string, [term, holder, expiresAt, expiresInMs]: TextRow): LeaseState {
  const termNumber = wholeNumber(term);
  if (termNumber === undefined) throw malformed(name);
  if (holder === null) return { name, term: termNumber, held: undefined };
  return { name, term: termNumber, held: leaseOf(name, holder, term, expiresAt, expiresInMs) };
}

function leaseOf(
  name: string,
  holder: string | null | undefined,
  term: string | null | undefined,
  expiresAt: string | null | undefined,
  expiresInMs: string | null | undefined,
) {
  const termNumber = wholeNumber(term);
  const remaining = wholeNumber(expiresInMs);
  if (
    typeof holder !== 'string' ||
    termNumber === undefined ||
    typeof expiresAt !== 'string' ||
    remaining === undefined
  ) {
    throw malformed(name);
  }
  return { name, holder, term: termNumber, expiresAt, expiresInMs: remaining };
}

function malformed(what: string): StoreUnavailableError {
  return new StoreUnavailableError(`the store answered a lease call for "${what}" with a malformed row`);
}
