/**
 * `omniscient inspect` as a command: what it prints, how it stops, and each way it refuses to
 * start, run as a child process against a SQLite file and a PostgreSQL schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { postgresStore } from '../../src/postgres.js';
import { sqliteStore } from '../../src/sqlite.js';
import { runCli, startCli, type RunningCli } from '../cli/run-cli.js';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';

const WALLET = './test/cli/fixtures/broken-wallet.ts#Wallet';

async function started(cli: RunningCli): Promise<URL> {
  await cli.until((self) => /http:\/\/\S+/.test(self.stdout));
  return new URL(/http:\/\/\S+/.exec(cli.stdout)?.[0] ?? '');
}

async function stopped(cli: RunningCli, signal: NodeJS.Signals = 'SIGINT') {
  cli.child.kill(signal);
  return cli.exit();
}

function inspectorSpecs(engine: string, open: () => Promise<{ url: string; store: EventStore }>) {
  describe(`on ${engine}`, () => {
    let storeUrl: string;
    let store: EventStore;
    beforeAll(async () => {
      ({ url: storeUrl, store } = await open());
      await store.appendToStream('wallet-1', [
        { name: 'deposited', data: { amount: 10 } },
        { name: 'withdrawn', data: { amount: 4 } },
      ]);
    });
    afterAll(() => store.close());

    it('prints its address, serves the store through the classes given, and exits 0 on Ctrl-C', async () => {
      const cli = startCli(['inspect', '--store', storeUrl, '--actor', WALLET, '--port', '0']);
      const url = await started(cli);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.search).toBe('');
      const overview = (await (await fetch(new URL('/api/overview', url))).json()) as { actors: string[] };
      expect(overview.actors).toEqual(['Wallet']);
      const state = (await (await fetch(new URL('/api/state?stream=wallet-1&version=2', url))).json()) as {
        state: unknown;
        changes: unknown;
      };
      expect(state).toMatchObject({
        state: { balance: 6 },
        changes: [{ path: 'balance', kind: 'changed', before: 10, after: 6 }],
      });
      const exit = await stopped(cli);
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).toContain('states by Wallet');
    });

    it('keeps the live connections it serves from holding it open: SIGTERM ends it with 0', async () => {
      const cli = startCli(['inspect', '--store', storeUrl, '--port', '0']);
      const url = await started(cli);
      const live = await fetch(new URL('/api/live', url));
      const reader = live.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain('event: listening');
      const exit = await stopped(cli, 'SIGTERM');
      expect(exit.code, exit.stderr).toBe(0);
      await reader.cancel().catch(() => undefined);
    });
  });
}

describe('omniscient inspect', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'omniscient-inspect-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  inspectorSpecs('SQLite', async () => {
    const file = path.join(folder, 'wallets.db');
    return { url: `sqlite:${file}`, store: sqliteStore({ file }) };
  });

  it('off loopback, makes a token, prints it in its address, and refuses requests without it', async () => {
    const cli = startCli(['inspect', '--store', 'sqlite::memory:', '--host', '0.0.0.0', '--port', '0']);
    const url = await started(cli);
    const token = url.searchParams.get('token');
    expect(token).toMatch(/^[\w-]{40,}$/);
    const at = (route: string) => new URL(route, `http://127.0.0.1:${url.port}`);
    expect((await fetch(at('/api/overview'))).status).toBe(401);
    const allowed = await fetch(at('/api/overview'), { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect((await stopped(cli)).code).toBe(0);
  });

  it('takes its token from OMNISCIENT_INSPECTOR_TOKEN, and then requires it on loopback too', async () => {
    const cli = startCli(['inspect', '--store', 'sqlite::memory:', '--port', '0'], {
      OMNISCIENT_INSPECTOR_TOKEN: 'a-token-from-the-environment',
    });
    const url = await started(cli);
    expect(url.searchParams.get('token')).toBe('a-token-from-the-environment');
    expect((await fetch(new URL('/api/overview', url.origin))).status).toBe(401);
    const page = await fetch(url, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('set-cookie')).toContain('HttpOnly');
    expect((await stopped(cli)).code).toBe(0);
  });

  it('says so and exits 1 when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['inspect', '--store', 'sqlite::memory:', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a port out of range (2), a missing actor module (4), an empty token (2), a store file that does not exist (3)', async () => {
    const port = await runCli(['inspect', '--store', 'sqlite::memory:', '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('at most 65535');

    const module = await runCli([
      'inspect',
      '--store',
      'sqlite::memory:',
      '--actor',
      './no/such/module.ts#X',
    ]);
    expect(module.code).toBe(4);
    expect(module.stderr).toContain('no module at');

    const token = await runCli(['inspect', '--store', 'sqlite::memory:', '--token', ' ']);
    expect(token.code).toBe(2);
    expect(token.stderr).toContain('--token is empty');

    const store = await runCli([
      'inspect',
      '--store',
      `sqlite:${path.join(folder, 'missing.db')}`,
      '--port',
      '0',
    ]);
    expect(store.code).toBe(3);
  });
});

describeWithPostgres('omniscient inspect on PostgreSQL', () => {
  inspectorSpecs('PostgreSQL', async () => {
    const schema = freshSchema();
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('schema', schema);
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    await store.ready();
    return { url: url.toString(), store };
  });
});
