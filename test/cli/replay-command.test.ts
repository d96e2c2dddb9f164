/**
 * `omniscient replay`, run as a child process against a SQLite file and a PostgreSQL schema: the
 * login story's stream replayed through its `User` class, a handler that throws shown at its
 * event, `--step` driven through stdin, and the exit codes of a missing module, class or stream.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from 'omniscient-actors';
import { postgresStore } from 'omniscient-actors/postgres';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const USER = './examples/login-story/actors.ts#User';
const WALLET = './test/cli/fixtures/broken-wallet.ts#Wallet';

function omniscient(args: string[], options: { input?: string; store?: string } = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, OMNISCIENT_STORE: options.store ?? '' },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function writeStory(store: EventStore): Promise<void> {
  await store.appendToStream('alice', [
    { name: 'signed_up', data: { username: 'alice', password: 'pw' }, meta: { actor: 'User' } },
    { name: 'invalid_login', data: { browserFingerprint: {} }, meta: { actor: 'User' } },
    { name: 'logged_in', data: { browserFingerprint: {}, token: 't-1' }, meta: { actor: 'User' } },
  ]);
  await store.appendToStream('wallet', [
    { name: 'deposited', data: { amount: 5 } },
    { name: 'withdrawn', data: { amount: 9 } },
  ]);
}

function replaySpecs(storeUrl: () => string) {
  it('prints each event and what it changed in the state', () => {
    const { code, stdout, stderr } = omniscient(['replay', 'alice', '--actor', USER, '--store', storeUrl()]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Replaying "alice" through User: 3 of 3 event(s)');
    expect(stdout).toContain('initial state {"logged_in":false,"failedLogins":0}');
    expect(stdout).toMatch(/v1 {2}signed_up .* by User/);
    expect(stdout).toContain('+ username: "alice"');
    expect(stdout).toContain('  failedLogins: 0 → 1');
    expect(stdout).toContain('  logged_in: false → true');
  });

  it('stops at --to, and prints JSON lines with --json', () => {
    const { code, stdout } = omniscient(['replay', 'alice', '--actor', USER, '--to', '2', '--json'], {
      store: storeUrl(),
    });
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: { version: number }; state: unknown });
    expect(lines.map((line) => line.event.version)).toEqual([1, 2]);
    expect(lines[1]?.state).toEqual({ logged_in: false, failedLogins: 1, username: 'alice', password: 'pw' });
  });

  it('shows a handler that throws at its event with the state before it, and exits 5', () => {
    const { code, stdout } = omniscient(['replay', 'wallet', '--actor', WALLET, '--store', storeUrl()]);
    expect(code).toBe(5);
    expect(stdout).toContain('✗ Wallet.withdrawn threw: cannot withdraw 9 from 5');
    expect(stdout).toContain('state before it {"balance":5}');
  });

  it('waits for Enter between events with --step, and stops on q', () => {
    const { code, stdout, stderr } = omniscient(
      ['replay', 'alice', '--actor', USER, '--step', '--store', storeUrl()],
      {
        input: '\nq\n',
      },
    );
    expect(code).toBe(0);
    expect(stdout).toContain('v2  invalid_login');
    expect(stdout).not.toContain('v3  logged_in');
    expect(stderr).toContain('Enter: next event');
  });

  it('exits 4 for a stream, a module or a class that does not exist', () => {
    const stream = omniscient(['replay', 'nobody', '--actor', USER, '--store', storeUrl()]);
    expect(stream.code).toBe(4);
    expect(stream.stderr).toContain('no stream "nobody"');
    const module = omniscient(['replay', 'alice', '--actor', './nowhere.ts#User', '--store', storeUrl()]);
    expect(module.code).toBe(4);
    expect(module.stderr).toContain('no module at');
    const named = omniscient([
      'replay',
      'alice',
      '--actor',
      './test/cli/fixtures/broken-wallet.ts#Purse',
      '--store',
      storeUrl(),
    ]);
    expect(named.code).toBe(4);
    expect(named.stderr).toContain('has no actor class "Purse"');
    expect(named.stderr).toContain('its actor classes: Wallet');
  });
}

describe('omniscient replay on a SQLite file', () => {
  let directory: string;
  let file: string;
  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'omniscient-replay-'));
    file = path.join(directory, 'events.db');
    const store = sqliteStore({ file });
    await writeStory(store);
    await store.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  replaySpecs(() => `sqlite:${file}`);
});

describeWithPostgres('omniscient replay on PostgreSQL', () => {
  const schema = freshSchema();
  beforeAll(async () => {
    const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
    await writeStory(store);
    await store.close();
  });
  replaySpecs(() => `${POSTGRES_URL}?schema=${schema}`);
});
