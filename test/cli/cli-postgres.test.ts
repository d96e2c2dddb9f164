import { postgresStore } from '../../src/postgres.js';
import { freshSchema, POSTGRES_URL, describeWithPostgres } from '../engines/postgres/server.js';
import { commandSpecs } from './commands.js';

describeWithPostgres('the omniscient command on PostgreSQL', () => {
  commandSpecs('PostgreSQL', async () => {
    const schema = freshSchema();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('schema', schema);
    return { url: url.toString(), open: () => postgresStore({ connectionString: POSTGRES_URL }, { schema }) };
  });
});
