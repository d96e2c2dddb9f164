/**
 * The command specifications every engine runs: the same listing, tables, JSON lines, live tail
 * and "not found" whatever store the URL names. `open` gives a writable store on the same
 * database as `url`, to fill it and to append while `tail` runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { runCli, startCli } from './run-cli.js';

export interface CliFixture {
  readonly url: string;
  readonly open: () => EventStore;
}

export function commandSpecs(engine: string, fixture: () => Promise<CliFixture>): void {
  describe(`the omniscient command on ${engine}`, () => {
    let url: string;
    let store: EventStore;

    beforeAll(async () => {
      const made = await fixture();
      url = made.url;
      store = made.open();
      await store.appendToStream('user-1', [
        { name: 'signed_up', data: { email: 'ann@example.com', note: 'n'.repeat(300) } },
        { name: 'logged_in', data: { at: 1 } },
        { name: 'logged_out' },
      ]);
      await store.appendToStream('order-7', [{ name: 'placed', data: { total: 12 } }]);
      await store.appendToStream('user-2', [{ name: 'signed_up', data: { email: 'bob@example.com' } }]);
    });
    afterAll(async () => store?.close());

    it('streams: lists every stream sorted by id, with its event count and last event time', async () => {
      const result = await runCli(['streams', '--store', url]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^STREAM\s+EVENTS\s+LAST EVENT AT$/);
      expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
        ['order-7', '1'],
        ['user-1', '3'],
        ['user-2', '1'],
      ]);
      const [last] = await store.readStream('user-1', { fromVersion: 3 });
      expect(lines[2]).toContain(last?.at);
    });

    it('streams --json --filter --limit: JSON lines of the matching streams, at most n', async () => {
      const result = await runCli(['streams', '--json', '--filter', 'user', '--store', url]);
      expect(result.code).toBe(0);
      const lines = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      const [user1] = await store.readStream('user-1', { fromVersion: 3 });
      const [user2] = await store.readStream('user-2');
      expect(lines).toEqual([
        { stream: 'user-1', version: 3, lastEventAt: user1?.at },
        { stream: 'user-2', version: 1, lastEventAt: user2?.at },
      ]);
      const limited = await runCli(['streams', '--json', '--limit', '1', '--prefix', 'user', '--store', url]);
      expect(
        limited.stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).stream as string),
      ).toEqual(['user-1']);
    });

    it('takes the store from OMNISCIENT_STORE when --store is not given', async () => {
      const result = await runCli(['streams', '--json', '--filter', 'order'], { OMNISCIENT_STORE: url });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ stream: 'order-7', version: 1 });
    });

    it('events: a table of the versions asked for, data as compact JSON cut to the width', async () => {
      const result = await runCli(['events', 'user-1', '--from', '1', '--to', '2', '--store', url]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^VERSION\s+POSITION\s+TIME\s+NAME\s+DATA$/);
      const events = await store.readStream('user-1');
      expect(lines[1]).toMatch(
        new RegExp(
          `^1\\s+${events[0]?.position}\\s+${events[0]?.at}\\s+signed_up\\s+\\{"email":"ann@example.com","note":"n+…$`,
        ),
      );
      expect(lines[1]).toHaveLength(100);
      expect(lines[2]).toMatch(/^2\s+\d+\s+\S+\s+logged_in\s+\{"at":1\}$/);
    });

    it('events --json: one whole stored event per line', async () => {
      const result = await runCli(['events', 'user-1', '--json', '--from', '2', '--store', url]);
      expect(result.code).toBe(0);
      const printed = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
      expect(printed).toEqual(await store.readStream('user-1', { fromVersion: 2 }));
    });

    it('events of a stream that does not exist: exit 4, one line naming it', async () => {
      const result = await runCli(['events', 'user-404', '--store', url]);
      expect(result).toMatchObject({ code: 4, stdout: '' });
      expect(result.stderr).toBe(
        'omniscient: no stream "user-404" in this store: see `omniscient streams` for the ids\n',
      );
    });

    it('tail: prints the events stored after it starts that match its filters, then exits 0 on SIGINT', async () => {
      const tail = startCli(['tail', '--name', 'logged_in', '--name', 'placed', '--json', '--store', url]);
      await tail.until((self) => self.stderr.includes('Ctrl-C to stop'));
      await store.appendToStream('user-1', [{ name: 'logged_in', data: { at: 2 } }, { name: 'logged_out' }]);
      const [placed] = (await store.appendToStream('order-8', [{ name: 'placed', data: { total: 3 } }]))
        .events;
      await tail.until((self) => self.stdout.includes('"order-8"'));
      tail.child.kill('SIGINT');
      const result = await tail.exit();
      expect(result.code).toBe(0);
      const printed = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { name: string });
      const [loggedIn] = await store.readStream('user-1', { fromVersion: 4, toVersion: 4 });
      expect(printed).toEqual([loggedIn, placed]);
    });

    it("tail --from-start --stream: the stream's stored events first, as lines", async () => {
      const tail = startCli(['tail', '--from-start', '--stream', 'user-2', '--store', url]);
      await tail.until((self) => self.stdout.includes('signed_up'));
      tail.child.kill('SIGINT');
      const result = await tail.exit();
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^\d+ {2}\S+ {2}user-2@1 {2}signed_up {2}\{"email":"bob@example.com"\}\n$/,
      );
    });
  });
}
