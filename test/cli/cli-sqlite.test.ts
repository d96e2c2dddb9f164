import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/sqlite.js';
import { commandSpecs } from './commands.js';
import { runCli } from './run-cli.js';

const folder = mkdtempSync(join(tmpdir(), 'omniscient-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

commandSpecs('SQLite', async () => {
  const file = join(folder, 'events.db');
  return { url: `sqlite:${file}`, open: () => sqliteStore({ file }) };
});

describe('the omniscient command, its errors', () => {
  it('a store URL it cannot read: exit 2, one line that shows the forms it takes', async () => {
    const result = await runCli(['streams', '--store', 'mysql://root@localhost/db']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(
      /^omniscient: unknown store URL "mysql:\/\/root@localhost\/db": it must start with sqlite:.*\n$/,
    );
  });

  it('no store at all: exit 2, saying to pass --store or set OMNISCIENT_STORE', async () => {
    const result = await runCli(['events', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pass --store <url> or set OMNISCIENT_STORE/);
  });

  it("an unknown option or a bad number: exit 2 with commander's one line", async () => {
    const unknown = await runCli(['streams', '--bogus', '--store', 'sqlite::memory:']);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: "error: unknown option '--bogus' (see omniscient --help)\n",
    });
    const bad = await runCli(['streams', '--limit', '0', '--store', 'sqlite::memory:']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit <n>.*expected a whole number >= 1/);
  });

  it('a SQLite file that does not exist: exit 3, and the file is not created', async () => {
    const file = join(folder, 'missing.db');
    const result = await runCli(['streams', '--store', `sqlite:${file}`]);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toMatch(
      /^omniscient: .*missing\.db.*check the store URL \(--store or OMNISCIENT_STORE\)/,
    );
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
  });

  it('--debug adds the stack to the one line', async () => {
    const result = await runCli(['streams', '--debug', '--store', `sqlite:${join(folder, 'missing.db')}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('PostgreSQL on a closed port: exit 3 at once', async () => {
    const result = await runCli(['streams', '--store', 'postgres://postgres@127.0.0.1:1/test']);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toMatch(/^omniscient: .*127\.0\.0\.1:1.*\n$/);
  });

  it('--help and --version: exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/streams[\s\S]*events[\s\S]*tail/);
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
