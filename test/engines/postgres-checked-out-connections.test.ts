/**
 * A connection the store has checked out of its pool (for a transaction, or a statement whose
 * notices it hears) may be terminated by the server between two statements: an administrator's
 * `pg_terminate_backend`, a restart. `pg` reports that as an `'error'` event, which the pool
 * listens for only on idle connections; the store must hear it too, or the process crashes.
 */
import { expect, it } from 'vitest';
import { Database } from '../../src/engines/postgres/connection.js';
import { loadPgDriver } from '../../src/engines/postgres/driver.js';
import { describeWithPostgres, POSTGRES_URL, withAdmin } from './postgres/server.js';

describeWithPostgres('a checked-out connection terminated by the server', () => {
  it('does not crash the process, and the connection is not handed out again', async () => {
    const database = new Database(loadPgDriver(), { connectionString: POSTGRES_URL }, 0);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const pid = await database.withClient(async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const backend = rows[0]!.pid;
        await withAdmin((admin) => admin.query('SELECT pg_terminate_backend($1)', [backend]));
        // The server's goodbye arrives while no statement of this client runs.
        await new Promise((resolve) => setTimeout(resolve, 200));
        return backend;
      });
      expect(uncaught).toEqual([]);
      // The next checkout gets a live connection, not the terminated one.
      const next = await database.withClient(async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        return rows[0]!.pid;
      });
      expect(next).not.toBe(pid);
    } finally {
      process.off('uncaughtException', onUncaught);
      await database.end();
    }
  });
});
