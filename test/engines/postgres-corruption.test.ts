/**
 * A PostgreSQL subscription meeting a row damaged behind the store's back: the row is reported
 * once, with its position, and every other event is still delivered, as on every engine.
 */
import { afterEach, expect, it } from 'vitest';
import type { EventNotification } from '../../src/engines/engine.js';
import { CorruptEventError } from '../../src/errors.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL, withAdmin } from './postgres/server.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** Waits, with a guard against hanging, until `done` holds. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithPostgres('a PostgreSQL subscription meeting a damaged row', () => {
  it('reports the row once, with its position, and goes on delivering every other event', async () => {
    const schema = freshSchema();
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    opened.push(store);
    const [damaged] = (await store.appendToStream('damaged', [{ name: 'broken' }])).events;
    await store.appendToStream('healthy', [{ name: 'fine' }]);
    // Meta must be a JSON object: an array is what no append can have written.
    await withAdmin((client) =>
      client.query(`UPDATE "${schema}".events SET meta = '[1]' WHERE position = $1`, [damaged?.position]),
    );
    const received: EventNotification[] = [];
    const errors: unknown[] = [];
    await store.subscribe((notifications) => received.push(...notifications), {
      after: 0,
      onError: (error) => errors.push(error),
    });
    await until(() => received.length === 1, 'the healthy event');
    await store.appendToStream('healthy', [{ name: 'fine' }]);
    await until(() => received.length === 2, 'the live event');
    expect(received.map((notification) => notification.stream)).toEqual(['healthy', 'healthy']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CorruptEventError);
    expect((errors[0] as CorruptEventError).where).toEqual({
      stream: 'damaged',
      position: damaged?.position,
      version: 1,
    });
  });
});
