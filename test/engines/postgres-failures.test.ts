/**
 * How the PostgreSQL engine fails, on a server of the test's own: a wrong password, a server that
 * is down, and a server restarted in the middle of a run of appends and a subscription. A caller
 * gets `StoreUnavailableError` or a success, never a raw driver error, never a half-written batch;
 * a subscription hears of the loss and catches up on what it missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventNotification } from '../../src/engines/engine.js';
import { InvalidEventError, StoreUnavailableError } from '../../src/errors.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { postgresStore, type PostgresEventStore } from '../../src/postgres.js';
import { createDisposableServer, freePort, type DisposableServer } from './postgres/disposable-server.js';
import { describeWithDisposablePostgres, describeWithPostgres, POSTGRES_URL } from './postgres/server.js';
import { rejectionOf } from './rejection-of.js';

describe('a PostgreSQL store whose server cannot be reached', () => {
  it('rejects with StoreUnavailableError naming the server when nothing listens on its port', async () => {
    const port = await freePort();
    const store = postgresStore(
      { connectionString: `postgres://someone:hidden-secret@127.0.0.1:${port}/app` },
      { connectionRetryMs: 200 },
    );
    const error = await rejectionOf(store.appendToStream('s', [{ name: 'happened' }]));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`someone@127.0.0.1:${port}/app`);
    expect((error as Error).message).toMatch(/ECONNREFUSED|connect/);
    expect((error as Error).message).not.toContain('hidden-secret');
    expect(await rejectionOf(store.readAll())).toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('fails ready() at once when the connection is refused, without waiting out connectionRetryMs', async () => {
    // A store that has never reached its server is most likely pointed at the wrong place: a
    // minute of retries would only hide that. (Were it retried, this would outlast the test's timeout.)
    const store = postgresStore(
      { connectionString: 'postgres://someone@127.0.0.1:1/app' },
      { connectionRetryMs: 60_000 },
    );
    const error = await rejectionOf(store.ready());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('could not open the PostgreSQL store at someone@127.0.0.1:1/app');
    expect(message).toContain(
      'nothing accepts connections there (is the server running, and are the host and port right?)',
    );
    expect(message).not.toMatch(/after \d+ attempts/);
    // Calling ready() again tries again, and fails the same way.
    expect(await rejectionOf(store.ready())).toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('still refuses an invalid event before trying the server', async () => {
    const port = await freePort();
    const store = postgresStore({ connectionString: `postgres://someone@127.0.0.1:${port}/app` });
    expect(await rejectionOf(store.appendToStream('s', [{ name: 'not a name' }]))).toBeInstanceOf(
      InvalidEventError,
    );
    await store.close();
  });
});

describeWithPostgres('a PostgreSQL store given a user the server does not know', () => {
  it('fails ready() at once, saying the server refused the user', async () => {
    const url = new URL(POSTGRES_URL);
    url.username = 'no_such_role_of_omniscient';
    url.password = '';
    const store = postgresStore({ connectionString: url.toString() }, { connectionRetryMs: 60_000 });
    const error = await rejectionOf(store.ready());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('no_such_role_of_omniscient@');
    expect(message).toMatch(/the server refused this user|the password was refused/);
    expect(message).not.toMatch(/after \d+ attempts/);
    await store.close();
  });
});

describeWithDisposablePostgres('a PostgreSQL store and its own server', () => {
  let server: DisposableServer;
  const stores: PostgresEventStore[] = [];

  function open(schema: string, options: { password?: string; connectionRetryMs?: number } = {}) {
    const store = postgresStore(
      { connectionString: server.url(options.password) },
      { schema, connectionRetryMs: options.connectionRetryMs ?? 30_000 },
    );
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await createDisposableServer();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close().catch(() => undefined)));
    await server?.remove();
  }, 120_000);

  it('refuses a wrong password at once with StoreUnavailableError saying so, without the password', async () => {
    const store = open('wrong_password', { password: 'not-the-password', connectionRetryMs: 60_000 });
    const error = await rejectionOf(store.ready());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('password');
    expect(message).toContain(`postgres@127.0.0.1:${server.port}/postgres`);
    expect(message).not.toContain('not-the-password');
    // A refused password does not pass by waiting: it is not retried.
    expect(message).not.toMatch(/after \d+ attempts/);
    expect(await rejectionOf(store.appendToStream('s', [{ name: 'happened' }]))).toBeInstanceOf(
      StoreUnavailableError,
    );
    // The right password works on the same server.
    const right = open('wrong_password');
    await right.appendToStream('s', [{ name: 'happened' }]);
    expect(await right.streamVersion('s')).toBe(1);
  });

  it('answers every append of a run through a restart with a success or StoreUnavailableError, and stores no batch in part', async () => {
    const store = open('restart');
    const listening = open('restart');
    await store.ready();
    const notified: EventNotification[] = [];
    const subscriptionErrors: unknown[] = [];
    const subscription = await listening.subscribe((notifications) => notified.push(...notifications), {
      onError: (error) => subscriptionErrors.push(error),
    });

    const writers = 6;
    const stored: StoredEvent[][] = [];
    const failures: unknown[] = [];
    let restarted = false;
    let afterRestart = 0;
    const writing = Array.from({ length: writers }, async (_, writer) => {
      for (let batch = 0; !restarted || afterRestart < 40; batch++) {
        const events = [0, 1, 2].map((index) => ({
          id: `w${writer}-b${batch}-e${index}`,
          name: 'counted',
          data: { writer, batch, index },
        }));
        try {
          const result = await store.appendToStream(`stream-${writer % 3}`, events);
          stored.push([...result.events]);
          if (restarted) afterRestart++;
        } catch (error) {
          failures.push(error);
        }
      }
    });
    while (stored.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
    await server.restart();
    restarted = true;
    await Promise.all(writing);

    for (const failure of failures) expect(failure).toBeInstanceOf(StoreUnavailableError);
    // Every stream is whole: versions 1..n, and each batch is three consecutive events or absent.
    const everything: StoredEvent[] = [];
    for (const { stream, version } of await store.listStreams()) {
      const events = await store.readStream(stream);
      expect(events.map((event) => event.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      for (let index = 0; index < events.length; index += 3) {
        const batch = events.slice(index, index + 3);
        expect(batch.map((event) => (event.data as { index: number }).index)).toEqual([0, 1, 2]);
        expect(new Set(batch.map((event) => event.id.replace(/-e\d$/, ''))).size).toBe(1);
      }
      everything.push(...events);
    }
    // What a caller was told is stored is stored, once.
    const ids = everything.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(everything.map((event) => [event.id, event]));
    for (const event of stored.flat()) expect(byId.get(event.id)).toEqual(event);

    // The subscription heard of the lost connection and, once back, of every event.
    const total = everything.length;
    const deadline = Date.now() + 30_000;
    while (
      new Set(notified.map((notification) => notification.position)).size < total &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subscription.close();
    expect(subscriptionErrors.length).toBeGreaterThan(0);
    expect(subscriptionErrors.every((error) => error instanceof StoreUnavailableError)).toBe(true);
    const positions = notified.map((notification) => notification.position);
    expect(positions).toEqual([...everything].map((event) => event.position).sort((a, b) => a - b));
  }, 120_000);

  it('rejects with StoreUnavailableError while the server is down, and works again once it is back', async () => {
    const store = open('down', { connectionRetryMs: 300 });
    await store.appendToStream('s', [{ name: 'before' }]);
    await server.stop();
    try {
      const error = await rejectionOf(store.appendToStream('s', [{ name: 'during' }]));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      // This store reached its server before: a refused connection is a restart, worth retrying.
      expect((error as Error).message).toMatch(/after \d+ attempts/);
      expect(await rejectionOf(store.readStream('s'))).toBeInstanceOf(StoreUnavailableError);
      expect(await rejectionOf(open('down', { connectionRetryMs: 0 }).ready())).toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await server.start();
    }
    await store.appendToStream('s', [{ name: 'after' }]);
    expect((await store.readStream('s')).map((event) => event.name)).toEqual(['before', 'after']);
  }, 60_000);
});
