/**
 * The inspector's page in a real browser, on what real stores hold: long streams, many streams,
 * stream ids with any character, and events arriving while the user looks elsewhere.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { memoryStore } from '../../src/index.js';
import { startInspector, type RunningInspector } from '../../src/inspector/inspector-server.js';
import { describeWithChromium, launchChromium } from './chromium.js';

describeWithChromium('the inspector page on real stores', () => {
  let browser: Browser;
  let running: RunningInspector | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function openPage(store: EventStore, hash = ''): Promise<Page> {
    running = await startInspector({ store, storeDescription: 'memory', port: 0 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(`${running.url}${hash}`);
    await page.getByTestId('live-toggle').filter({ hasText: 'Live' }).waitFor();
    return page;
  }

  const manyEvents = (count: number, name = 'counted') =>
    Array.from({ length: count }, (_, index) => ({ name, data: { n: index + 1 } }));

  it('a stream of 600 events shows all 600, and the one named in the address', async () => {
    const store = memoryStore();
    await store.appendToStream('long', manyEvents(600));
    const page = await openPage(store, '#stream=long&version=550');
    const title = page.getByTestId('timeline-title');
    await expect.poll(() => title.textContent(), { timeout: 5000 }).toContain('600 events');
    await expect
      .poll(() => page.getByTestId('detail').textContent(), { timeout: 5000 })
      .toContain('v550 counted');
    await page.close();
  });

  it('every event of a name can be reached, past the first 500', async () => {
    const store = memoryStore();
    for (let batch = 0; batch < 6; batch++) {
      await store.appendToStream(`s${batch}`, manyEvents(100, 'paid'));
    }
    const page = await openPage(store);
    await page.getByTestId('name-search').fill('paid');
    await page.getByTestId('name-search').press('Enter');
    await expect.poll(() => page.getByTestId('timeline-row').count()).toBeGreaterThan(0);
    // However the page offers the rest (a button, scrolling), the 600th can be reached.
    for (let attempt = 0; attempt < 10; attempt++) {
      const more = page.getByTestId('more-events');
      if ((await more.count()) === 0) break;
      const before = await page.getByTestId('timeline-row').count();
      await more.click();
      // The next page is in before "More" is looked for again (it goes once everything is read).
      await expect.poll(() => page.getByTestId('timeline-row').count()).toBeGreaterThan(before);
    }
    await expect.poll(() => page.getByTestId('timeline-row').count()).toBe(600);
    await page.close();
  });

  it('a stream stored while the list is paged shows once, after "More streams" too', async () => {
    const store = memoryStore();
    for (let index = 0; index < 250; index++) {
      await store.appendToStream(`stream-${String(index).padStart(3, '0')}`, [{ name: 'opened' }]);
    }
    const page = await openPage(store);
    await expect.poll(() => page.getByTestId('stream-item').count()).toBe(200);
    await store.appendToStream('stream-999', [{ name: 'opened' }]);
    await expect
      .poll(() => page.locator('[data-testid="stream-item"][data-stream="stream-999"]').count())
      .toBe(1);
    await page.getByRole('button', { name: 'More streams' }).click();
    await expect.poll(() => page.getByTestId('stream-item').count()).toBe(251);
    expect(await page.locator('[data-testid="stream-item"][data-stream="stream-999"]').count()).toBe(1);
    await page.close();
  });

  it('a page paused and resumed catches up the stream list too', async () => {
    const store = memoryStore();
    await store.appendToStream('alice', manyEvents(1));
    const page = await openPage(store, '#stream=alice&version=1');
    await expect.poll(() => page.getByTestId('timeline-row').count()).toBe(1);
    await page.getByTestId('live-toggle').click();
    await expect.poll(() => page.getByTestId('live-toggle').textContent()).toContain('Paused');
    await store.appendToStream('alice', manyEvents(1));
    await store.appendToStream('dave', manyEvents(1));
    await page.getByTestId('live-toggle').click();
    await expect.poll(() => page.getByTestId('timeline-row').count()).toBe(2);
    await expect
      .poll(() => page.getByTestId('stream-item').allTextContents(), { timeout: 5000 })
      .toEqual(['alice2', 'dave1']);
    await page.close();
  });

  it('two inspectors with tokens, open in one browser, both keep working', async () => {
    const first = await startInspector({
      store: memoryStore(),
      storeDescription: 'first',
      port: 0,
      token: 'first-token',
    });
    const second = await startInspector({
      store: memoryStore(),
      storeDescription: 'second',
      port: 0,
      token: 'second-token',
    });
    const context = await browser.newContext();
    try {
      const firstPage = await context.newPage();
      await firstPage.goto(first.url);
      await firstPage.getByTestId('live-toggle').filter({ hasText: 'Live' }).waitFor();
      const secondPage = await context.newPage();
      await secondPage.goto(second.url);
      await secondPage.getByTestId('live-toggle').filter({ hasText: 'Live' }).waitFor();
      // Back in the first tab, which reads the store again (a search, say).
      const status = await firstPage.evaluate(async () => (await fetch('/api/streams')).status);
      expect(status).toBe(200);
    } finally {
      await context.close();
      await first.close();
      await second.close();
    }
  });

  it('an event that arrives while the timeline is being read again stays in the timeline', async () => {
    const inner = memoryStore();
    await inner.appendToStream('busy', manyEvents(5));
    // The next read of the timeline (500 events at a time) is read at once, and answered when the
    // test lets it: as a slow read, overtaken by a live event.
    let hold: { reached: () => void; release: Promise<void> } | undefined;
    const store = new Proxy(inner, {
      get(target, property) {
        if (property === 'readStream') {
          return async (...args: Parameters<EventStore['readStream']>) => {
            const events = await target.readStream(...args);
            const held = args[1]?.limit === 500 ? hold : undefined;
            if (held !== undefined) {
              hold = undefined;
              held.reached();
              await held.release;
            }
            return events;
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const page = await openPage(store, '#stream=busy&version=1');
    const rows = page.getByTestId('timeline-row');
    await expect.poll(() => rows.count()).toBe(5);

    let reached: () => void = () => undefined;
    let release: () => void = () => undefined;
    const readReached = new Promise<void>((resolve) => (reached = resolve));
    hold = { reached, release: new Promise<void>((resolve) => (release = resolve)) };
    // Paused and resumed: the page reads the timeline again.
    await page.getByTestId('live-toggle').click();
    await expect.poll(() => page.getByTestId('live-toggle').textContent()).toContain('Paused');
    await page.getByTestId('live-toggle').click();
    await readReached;

    await inner.appendToStream('busy', manyEvents(1));
    await expect.poll(() => rows.count()).toBe(6);

    const answered = page.waitForResponse((response) => response.url().includes('/api/stream?'));
    release();
    await (await answered).finished();
    // Two frames: the answer is read and drawn.
    await page.evaluate(
      'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
    );
    expect(await rows.count()).toBe(6);
    await page.close();
  });

  it('a search that the store cannot answer says so on the page', async () => {
    const store = memoryStore();
    await store.appendToStream('alice', manyEvents(1));
    const page = await openPage(store);
    await expect.poll(() => page.getByTestId('stream-item').count()).toBe(1);
    // The store goes away: every read now answers 503.
    await store.close();
    // The search's own answer: the live mode may read the list (without a search) at any time.
    const answered = page.waitForResponse((response) => response.url().includes('/api/streams?search=ali'));
    await page.getByTestId('stream-search').fill('ali');
    expect((await answered).status()).toBe(503);
    await expect.poll(() => page.getByRole('alert').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('the page logs no error', () => {
    expect(problems).toEqual([]);
  });
});
