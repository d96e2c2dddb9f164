/** The PostgreSQL engine against the conformance suite, each store in a schema of its own. */
import { postgresStore } from '../../src/postgres.js';
import { describeEngineConformance } from './conformance.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from './postgres/server.js';

describeWithPostgres('PostgreSQL conformance', () => {
  describeEngineConformance('postgres', (options) =>
    postgresStore({ connectionString: POSTGRES_URL }, { schema: freshSchema(), ...options }),
  );
});
