/**
 * The inspector as a user meets it: `omniscient inspect` started as a command on the login story's
 * stream, the page opened in a real browser, a stream picked, its events stepped through with the
 * state's changes shown by the story's own classes, and events stored by another process appearing
 * live. One screenshot is kept, so that a page that breaks its layout fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { sqliteStore } from '../../src/sqlite.js';
import { startCli, type RunningCli } from '../cli/run-cli.js';
import { describeWithChromium, launchChromium } from './chromium.js';
import { expectScreenshotToMatch } from './screenshot-match.js';

const STORY = './examples/login-story/actors.ts';

/** The login story's events, with fixed ids and times, so that the page looks the same every run. */
async function writeStory(store: EventStore): Promise<void> {
  const at = (second: number) => `2026-11-01T09:00:0${second}.000Z`;
  await store.appendToStream('alice', [
    {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'signed_up',
      data: { username: 'alice', password: 'correct horse' },
      meta: { actor: 'User' },
      at: at(1),
    },
    {
      id: '00000000-0000-4000-8000-000000000002',
      name: 'invalid_login',
      data: { browserFingerprint: { browser: 'demo' } },
      meta: { actor: 'User' },
      at: at(2),
    },
    {
      id: '00000000-0000-4000-8000-000000000003',
      name: 'logged_in',
      data: { browserFingerprint: { browser: 'demo' }, token: 'token-1' },
      meta: { actor: 'User' },
      at: at(3),
    },
    {
      id: '00000000-0000-4000-8000-000000000004',
      name: 'payment_received',
      data: { cents: 250, receipt: 'receipt-alice-250c' },
      meta: { actor: 'Player' },
      at: at(4),
    },
    {
      id: '00000000-0000-4000-8000-000000000005',
      name: 'life_gained',
      data: { lives: 2 },
      meta: { actor: 'Player' },
      at: at(5),
    },
  ]);
  await store.appendToStream('bob', [
    {
      id: '00000000-0000-4000-8000-000000000006',
      name: 'signed_up',
      data: { username: 'bob', password: 'hunter2' },
      meta: { actor: 'User' },
      at: at(6),
    },
  ]);
}

describeWithChromium('the web inspector in a browser', () => {
  let folder: string;
  let writer: EventStore;
  let inspector: RunningCli;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'omniscient-inspector-'));
    const file = path.join(folder, 'story.db');
    writer = sqliteStore({ file });
    await writeStory(writer);
    inspector = startCli([
      'inspect',
      '--store',
      `sqlite:${file}`,
      '--actor',
      `${STORY}#User`,
      '--actor',
      `${STORY}#Player`,
      '--port',
      '0',
    ]);
    await inspector.until((cli) => /http:\/\/\S+/.test(cli.stdout));
    url = /http:\/\/\S+/.exec(inspector.stdout)?.[0] ?? '';
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    inspector?.child.kill('SIGINT');
    const exit = await inspector?.exit();
    await writer?.close();
    rmSync(folder, { recursive: true, force: true });
    expect(exit?.code, exit?.stderr).toBe(0);
  });

  async function openPage(address = url): Promise<Page> {
    const opened = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    opened.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await opened.goto(address);
    await opened.getByTestId('live-toggle').filter({ hasText: 'Live' }).waitFor();
    return opened;
  }

  const rows = () => page.getByTestId('timeline-row');
  const changes = () => page.getByTestId('state-changes');

  it('lists the streams, and finds one by any part of its id', async () => {
    page = await openPage();
    await expect.poll(() => page.getByTestId('stream-item').allTextContents()).toEqual(['alice5', 'bob1']);
    await page.getByTestId('stream-search').fill('li');
    await expect.poll(() => page.getByTestId('stream-item').allTextContents()).toEqual(['alice5']);
    await page.getByTestId('stream-search').fill('');
    await expect.poll(() => page.getByTestId('stream-item').count()).toBe(2);
  });

  it("shows the picked stream's timeline, first event selected, with what it did to the state", async () => {
    await page.getByTestId('stream-item').filter({ hasText: 'alice' }).click();
    await expect
      .poll(() => rows().locator('td:nth-child(2)').allTextContents())
      .toEqual(['signed_up', 'invalid_login', 'logged_in', 'payment_received', 'life_gained']);
    await expect.poll(() => page.getByTestId('detail-title').textContent()).toBe('v1 signed_up');
    await expect.poll(() => changes().textContent()).toContain('+ username: "alice"');
    expect(page.url()).toContain('#stream=alice&version=1&actor=User');
  });

  it('steps through the events with the buttons and the keyboard, showing each change', async () => {
    await page.getByTestId('next-event').click();
    await expect.poll(() => page.getByTestId('detail-title').textContent()).toBe('v2 invalid_login');
    await expect.poll(() => changes().textContent()).toBe('failedLogins: 0 → 1');

    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('detail-title').textContent()).toBe('v3 logged_in');
    await expect.poll(() => changes().textContent()).toBe('logged_in: false → true');
    await expect
      .poll(async () => JSON.parse((await page.getByTestId('state-json').textContent()) ?? 'null'))
      .toEqual({ logged_in: true, failedLogins: 1, username: 'alice', password: 'correct horse' });

    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.getByTestId('detail-title').textContent()).toBe('v2 invalid_login');
    await expect.poll(() => page.getByTestId('previous-event').isDisabled()).toBe(false);
  });

  it("shows the state by another class of the same stream: the Player's view of a payment", async () => {
    await page.getByTestId('actor').selectOption('Player');
    await rows().filter({ hasText: 'payment_received' }).click();
    await expect.poll(() => changes().textContent()).toBe('paidCents: 0 → 250');
    await page.getByTestId('next-event').click();
    await expect.poll(() => changes().textContent()).toBe('lives: 0 → 2');
    await expect.poll(() => page.getByTestId('next-event').isDisabled()).toBe(true);
    // The User has no handler for it: the event is shown, and changed nothing in the User.
    await page.getByTestId('actor').selectOption('User');
    await expect.poll(() => changes().textContent()).toBe('(no change to the state)');
  });

  it('lists the events of one name across streams, and opens one in its stream', async () => {
    await page.getByTestId('same-name').click();
    await expect
      .poll(() => page.getByTestId('timeline-title').textContent())
      .toContain('Events named life_gained');
    await expect.poll(() => rows().locator('td:nth-child(2)').allTextContents()).toEqual(['alice']);

    await page.getByTestId('name-search').fill('signed_up');
    await page.getByTestId('name-search').press('Enter');
    await expect.poll(() => rows().locator('td:nth-child(2)').allTextContents()).toEqual(['alice', 'bob']);
    await rows().filter({ hasText: 'bob' }).click();
    await expect.poll(() => page.getByTestId('timeline-title').textContent()).toContain('Stream bob');
    await expect.poll(() => changes().textContent()).toContain('+ username: "bob"');
  });

  it('looks as it did: the timeline with an event selected and its state', async () => {
    const fresh = await openPage(`${url}#stream=alice&version=2&actor=User`);
    await fresh.getByTestId('state-changes').filter({ hasText: 'failedLogins' }).waitFor();
    const shot = await fresh.screenshot({
      animations: 'disabled',
      caret: 'hide',
      // The store's address names a temporary folder, different every run.
      mask: [fresh.locator('header .store')],
    });
    await fresh.close();
    expectScreenshotToMatch('timeline-and-state', shot);
  });

  it('shows events as another process stores them: in the open stream, and new streams in the list', async () => {
    await page.getByTestId('stream-item').filter({ hasText: 'alice' }).click();
    await expect.poll(() => rows().count()).toBe(5);

    await writer.appendToStream('alice', [
      { name: 'invalid_login', data: { browserFingerprint: { browser: 'live' } }, meta: { actor: 'User' } },
    ]);
    await expect.poll(() => rows().count()).toBe(6);
    await rows().last().click();
    await expect.poll(() => page.getByTestId('detail-title').textContent()).toBe('v6 invalid_login');
    await expect.poll(() => changes().textContent()).toBe('failedLogins: 1 → 2');
    await expect
      .poll(() => page.getByTestId('stream-item').filter({ hasText: 'alice' }).textContent())
      .toBe('alice6');

    await writer.appendToStream('carol', [{ name: 'signed_up', data: { username: 'carol', password: 'x' } }]);
    await expect
      .poll(() => page.getByTestId('stream-item').allTextContents())
      .toEqual(['alice6', 'bob1', 'carol1']);
    // An event of another stream does not join the open timeline.
    expect(await rows().count()).toBe(6);
  });

  it('pauses the live mode on request, and catches up when it resumes', async () => {
    await page.getByTestId('live-toggle').click();
    await expect.poll(() => page.getByTestId('live-toggle').textContent()).toContain('Paused');
    await writer.appendToStream('alice', [
      { name: 'logged_in', data: { browserFingerprint: {}, token: 't' } },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await rows().count()).toBe(6);
    await page.getByTestId('live-toggle').click();
    await expect.poll(() => rows().count()).toBe(7);
  });

  it('raised no error in the page', () => {
    expect(problems).toEqual([]);
  });
});
