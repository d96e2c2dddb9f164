/**
 * Who may read the store through the inspector: the address it prints lets its user in, whatever
 * the token, and nothing else does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/index.js';
import { startInspector, type RunningInspector } from '../../src/inspector/inspector-server.js';
import { request } from './http-get.js';

let running: RunningInspector | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function inspectorWith(token: string): Promise<RunningInspector> {
  running = await startInspector({ store: memoryStore(), storeDescription: 'memory', port: 0, token });
  return running;
}

describe('the token', () => {
  it.each(['a+b', 'x#y', 'p&q=r'])(
    'the address printed at start lets its user in when the token is %j',
    async (token) => {
      const inspector = await inspectorWith(token);
      const url = new URL(inspector.url);
      const answer = await request(inspector.port, `${url.pathname}${url.search}`);
      // The page (or the redirect that takes the token out of the address), not a refusal.
      expect([200, 303]).toContain(answer.status);
    },
  );

  it('an empty token does not open the inspector to whoever sends an empty one', async () => {
    const started = startInspector({
      store: memoryStore(),
      storeDescription: 'memory',
      host: '0.0.0.0',
      port: 0,
      token: '',
    });
    const outcome = await started.then(
      (inspector) => inspector,
      (error: unknown) => error,
    );
    if (outcome instanceof Error) return; // refused at start: nobody is let in by an empty token
    running = outcome as RunningInspector;
    const answer = await request(running.port, '/api/overview?token=');
    expect(answer.status).toBe(401);
  });

  it('the redirect that takes the token out of the address stays on the inspector', async () => {
    const inspector = await inspectorWith('secret');
    const answer = await request(inspector.port, '//evil.example/?token=secret');
    const location = answer.headers.location ?? '';
    // A location starting with two slashes is another site's address to a browser.
    expect(new URL(location, `http://127.0.0.1:${inspector.port}/`).host).toBe(`127.0.0.1:${inspector.port}`);
  });
});
