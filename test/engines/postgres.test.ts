/** The PostgreSQL engine against the conformance suite, each store in a schema of its own. */
import { describe, it } from 'vitest';
import { postgresStore } from '../../src/postgres.js';
import { describeEngineConformance } from 'omniscient-actors/conformance';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

describeWithPostgres('PostgreSQL conformance', () => {
  describeEngineConformance(
    'postgres',
    (options) => postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema(), ...options }),
    { describe, it },
  );
});
