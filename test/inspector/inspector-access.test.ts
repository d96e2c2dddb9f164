/**
 * Who may read the store through the inspector: on loopback only requests addressed to a loopback
 * name (a page elsewhere pointing its own name at 127.0.0.1 is refused), off loopback only requests
 * carrying the token (in the address once, then in a cookie, or as a bearer token), and on every
 * answer the headers that keep the page from being framed, sniffed or leaking its address.
 * Requests go through `node:http`, which, unlike `fetch`, lets a test name any Host.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/engines/engine.js';
import { startInspector, type RunningInspector } from '../../src/inspector/inspector-server.js';
import { sqliteStore } from '../../src/sqlite.js';
import { Ledger } from './fixtures/ledger.js';
import { request, type Reply } from './http-get.js';

function cookiePair(reply: Reply): string {
  const [cookie] = reply.headers['set-cookie'] ?? [];
  if (cookie === undefined) throw new Error('no Set-Cookie in the answer');
  return cookie.split(';')[0] ?? '';
}

const folder = mkdtempSync(path.join(tmpdir(), 'omniscient-inspector-access-'));
let store: EventStore;

beforeAll(async () => {
  store = sqliteStore({ file: path.join(folder, 'events.db') });
  await store.appendToStream('user-1', [{ name: 'signed_up', data: { email: 'ann@example.com' } }]);
});

afterAll(async () => {
  await store?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('bound to 127.0.0.1 (the default)', () => {
  let inspector: RunningInspector;

  beforeAll(async () => {
    inspector = await startInspector({
      store,
      storeDescription: 'the-local-store',
      actors: [Ledger],
      port: 0,
    });
  });
  afterAll(async () => inspector?.close());

  it('needs no token, and its address carries none', async () => {
    expect(inspector.host).toBe('127.0.0.1');
    expect(inspector.token).toBeUndefined();
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}/`);
  });

  it('a request addressed to another name (DNS rebinding) is refused with 403, whatever the path', async () => {
    for (const target of ['/', '/api/overview', '/api/streams', '/app.js', '/api/live']) {
      for (const host of ['evil.example', `evil.example:${inspector.port}`, '127.0.0.1.evil.example']) {
        const reply = await request(inspector.port, target, { Host: host });
        expect(reply.status, `${host} ${target}`).toBe(403);
        expect(reply.body).not.toContain('user-1');
        expect(reply.body).not.toContain('the-local-store');
      }
    }
  });

  it('localhost, 127.0.0.1 and [::1], with or without the port, are answered', async () => {
    for (const host of [
      `localhost:${inspector.port}`,
      `127.0.0.1:${inspector.port}`,
      `[::1]:${inspector.port}`,
      'localhost',
      '127.0.0.1',
      '[::1]',
      `LOCALHOST:${inspector.port}`,
    ]) {
      const reply = await request(inspector.port, '/api/overview', { Host: host });
      expect(reply.status, host).toBe(200);
      expect(JSON.parse(reply.body), host).toEqual({ store: 'the-local-store', actors: ['Ledger'] });
    }
  });

  it('a token in the address is not needed and changes nothing', async () => {
    const reply = await request(inspector.port, '/api/streams?token=anything', {
      Host: `127.0.0.1:${inspector.port}`,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });
});

describe('bound to 0.0.0.0: a token is made and required', () => {
  let inspector: RunningInspector;
  let token: string;
  const at = () => ({ Host: `inspector.example:${inspector.port}` });

  beforeAll(async () => {
    inspector = await startInspector({
      store,
      storeDescription: 'shared',
      actors: [Ledger],
      host: '0.0.0.0',
      port: 0,
    });
    token = inspector.token ?? '';
  });
  afterAll(async () => inspector?.close());

  it('makes a long random token and puts it in the address it gives', async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(inspector.url).toBe(`http://0.0.0.0:${inspector.port}/?token=${token}`);
    const other = await startInspector({ store, storeDescription: 'other', host: '0.0.0.0', port: 0 });
    try {
      expect(other.token).not.toBe(token);
    } finally {
      await other.close();
    }
  });

  it('without the token: 401 for the API, the page and its files', async () => {
    for (const target of ['/api/overview', '/api/streams', '/api/live', '/', '/app.js']) {
      const reply = await request(inspector.port, target, at());
      expect(reply.status, target).toBe(401);
      expect(reply.body).not.toContain('user-1');
    }
  });

  it('Authorization: Bearer <token> is let in; a wrong or malformed one is 401', async () => {
    const right = await request(inspector.port, '/api/overview', {
      ...at(),
      Authorization: `Bearer ${token}`,
    });
    expect(right.status).toBe(200);
    expect(JSON.parse(right.body)).toEqual({ store: 'shared', actors: ['Ledger'] });

    for (const authorization of [
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      'Bearer ',
      token,
      `Basic ${token}`,
    ]) {
      const wrong = await request(inspector.port, '/api/overview', { ...at(), Authorization: authorization });
      expect(wrong.status, authorization).toBe(401);
    }
  });

  it('a wrong token in the address is 401 and sets no cookie', async () => {
    const reply = await request(inspector.port, `/?token=${token}x`, at());
    expect(reply.status).toBe(401);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('GET /?token=<token> redirects (303) to / with an HttpOnly, SameSite=Strict cookie holding it', async () => {
    const reply = await request(inspector.port, `/?token=${token}`, at());
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
    const [cookie] = reply.headers['set-cookie'] ?? [];
    expect(cookie).toBeDefined();
    const attributes = (cookie ?? '').split(';').map((part) => part.trim());
    expect(attributes[0]).toBe(`omniscient_inspector_token_${inspector.port}=${token}`);
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Strict');
    expect(attributes).toContain('Path=/');
  });

  it('the redirect keeps the rest of the address and drops only the token', async () => {
    const reply = await request(inspector.port, `/?stream=user-1&token=${token}&version=1`, at());
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/?stream=user-1&version=1');
  });

  it('the cookie alone then opens the API and the page', async () => {
    const cookie = cookiePair(await request(inspector.port, `/?token=${token}`, at()));
    const overview = await request(inspector.port, '/api/overview', { ...at(), Cookie: cookie });
    expect(overview.status).toBe(200);
    expect(JSON.parse(overview.body)).toEqual({ store: 'shared', actors: ['Ledger'] });
    const streams = await request(inspector.port, '/api/streams', { ...at(), Cookie: cookie });
    expect(JSON.parse(streams.body)).toMatchObject({ streams: [{ stream: 'user-1', version: 1 }] });
    const script = await request(inspector.port, '/app.js', { ...at(), Cookie: cookie });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    const page = await request(inspector.port, '/', { ...at(), Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');

    const wrong = await request(inspector.port, '/api/overview', {
      ...at(),
      Cookie: `omniscient_inspector_token_${inspector.port}=${token}x`,
    });
    expect(wrong.status).toBe(401);
  });

  it('the token in an API address is taken at once, with no redirect', async () => {
    const reply = await request(inspector.port, `/api/overview?token=${token}`, at());
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ store: 'shared', actors: ['Ledger'] });
  });

  it('answers any Host name once the token is given (the token, not the name, is the guard here)', async () => {
    const reply = await request(inspector.port, '/api/overview', {
      Host: 'evil.example',
      Authorization: `Bearer ${token}`,
    });
    expect(reply.status).toBe(200);
  });
});

describe('a token given on loopback', () => {
  let inspector: RunningInspector;
  const token = 'a-token-of-our-own';
  const at = () => ({ Host: `127.0.0.1:${inspector.port}` });

  beforeAll(async () => {
    inspector = await startInspector({ store, storeDescription: 'local', port: 0, token });
  });
  afterAll(async () => inspector?.close());

  it('is required too, and is in the address it gives', async () => {
    expect(inspector.url).toBe(`http://127.0.0.1:${inspector.port}/?token=${token}`);
    expect((await request(inspector.port, '/api/overview', at())).status).toBe(401);
    expect((await request(inspector.port, '/', at())).status).toBe(401);
    const bearer = await request(inspector.port, '/api/overview', {
      ...at(),
      Authorization: `Bearer ${token}`,
    });
    expect(bearer.status).toBe(200);
    expect((await request(inspector.port, `/?token=${token}`, at())).status).toBe(303);
  });

  it('does not lift the loopback names rule: another name is 403 even with the token', async () => {
    const reply = await request(inspector.port, '/api/overview', {
      Host: 'evil.example',
      Authorization: `Bearer ${token}`,
    });
    expect(reply.status).toBe(403);
  });
});

describe('security headers', () => {
  let local: RunningInspector;
  let shared: RunningInspector;

  beforeAll(async () => {
    local = await startInspector({ store, storeDescription: 'local', actors: [Ledger], port: 0 });
    shared = await startInspector({ store, storeDescription: 'shared', host: '0.0.0.0', port: 0 });
  });
  afterAll(async () => {
    await local?.close();
    await shared?.close();
  });

  function expectSecurityHeaders(reply: Reply, what: string): void {
    const csp = String(reply.headers['content-security-policy'] ?? '');
    expect(csp, what).toContain("default-src 'none'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toMatch(/script-src 'self'(?: 'sha256-[A-Za-z0-9+/=]+')?(?:;|$)/);
    expect(csp, what).not.toContain('unsafe-inline');
    expect(csp, what).not.toContain('unsafe-eval');
    expect(reply.headers['x-content-type-options'], what).toBe('nosniff');
    expect(reply.headers['referrer-policy'], what).toBe('no-referrer');
    expect(reply.headers['x-frame-options'], what).toBe('DENY');
  }

  it('are on every answer: the page, its files, the API, errors, and refusals', async () => {
    const host = { Host: `127.0.0.1:${local.port}` };
    const answers: [string, Reply][] = [
      ['page', await request(local.port, '/', host)],
      ['script', await request(local.port, '/app.js', host)],
      ['style', await request(local.port, '/style.css', host)],
      ['vendor', await request(local.port, '/vendor/preact.js', host)],
      ['api', await request(local.port, '/api/overview', host)],
      ['bad request', await request(local.port, '/api/stream', host)],
      ['not found', await request(local.port, '/api/stream?id=nobody', host)],
      ['nothing there', await request(local.port, '/nothing-here', host)],
      ['rebinding refused', await request(local.port, '/', { Host: 'evil.example' })],
      ['no token', await request(shared.port, '/api/overview', { Host: `127.0.0.1:${shared.port}` })],
    ];
    expect(answers.map(([what, reply]) => [what, reply.status])).toEqual([
      ['page', 200],
      ['script', 200],
      ['style', 200],
      ['vendor', 200],
      ['api', 200],
      ['bad request', 400],
      ['not found', 404],
      ['nothing there', 404],
      ['rebinding refused', 403],
      ['no token', 401],
    ]);
    for (const [what, reply] of answers) expectSecurityHeaders(reply, what);
  });

  it('API answers, errors included, are marked not to be cached', async () => {
    const host = { Host: `127.0.0.1:${local.port}` };
    expect((await request(local.port, '/api/streams', host)).headers['cache-control']).toBe('no-store');
    expect((await request(local.port, '/api/stream', host)).headers['cache-control']).toBe('no-store');
  });
});
