/**
 * The web inspector: a page and the read-only JSON it is drawn from, over one HTTP server.
 *
 *   GET /                        the page (page/), and its toolkit under /vendor/
 *   GET /api/overview            the store's description and the actor classes loaded
 *   GET /api/streams             ?search=&after=&limit=    streams, sorted by id
 *   GET /api/stream              ?id=&from=&limit=         a stream's events, in version order
 *   GET /api/state               ?stream=&version=&actor=  the state after an event, and its changes
 *   GET /api/events              ?name=&after=&limit=      events by name, across streams, by position
 *   GET /api/live                ?stream=&name=            server-sent events, as they are stored
 *
 * Every request is first checked by `access.ts` (loopback names only, a token off loopback). The
 * store is only read: states are computed by the user's classes on private copies of the events.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { EventStore } from '../engines/engine.js';
import { InvalidActorIdError, StoreUnavailableError, UsageError, messageOf } from '../errors.js';
import type { ReplayableClass } from '../inspection/replay-stream.js';
import { listStreamLines } from '../inspection/stream-listing.js';
import { accessControl, isLoopback, newToken, TOKEN_PARAMETER } from './access.js';
import { liveEvents } from './live-events.js';
import { loadPage } from './page-assets.js';
import { StateReplays } from './state-at-version.js';

export const DEFAULT_INSPECTOR_PORT = 4747;

export interface InspectorOptions {
  readonly store: EventStore;
  /** What the page shows as the store's name (a URL without its password). */
  readonly storeDescription: string;
  /** The classes that compute states; the first is the page's default. */
  readonly actors?: readonly ReplayableClass[];
  /** The address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Default 4747; 0 picks a free port. */
  readonly port?: number;
  /**
   * Required from every request when given. Off loopback one is always required: when none is
   * given, one is made (see `RunningInspector.token`).
   */
  readonly token?: string;
}

export interface RunningInspector {
  /** The page's address, with the token in it when one is required. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  /** Ends live connections, stops listening; the store is the caller's to close. */
  close(): Promise<void>;
}

export class InspectorStartError extends Error {
  override readonly name = 'InspectorStartError';
}

export async function startInspector(options: InspectorOptions): Promise<RunningInspector> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopback(host);
  if (options.token !== undefined && options.token.trim() === '') {
    throw new InspectorStartError(
      'the token is empty: give one with at least one character that is not a space',
    );
  }
  const token = options.token ?? (loopbackOnly ? undefined : newToken());
  const actors = options.actors ?? [];
  const names = new Set<string>();
  for (const actor of actors) {
    if (names.has(actor.name)) throw new InspectorStartError(`two actor classes are named ${actor.name}`);
    names.add(actor.name);
  }
  const shutdown = new AbortController();
  let listeningPort = 0;
  const app = inspectorApp({
    ...options,
    actors,
    loopbackOnly,
    token,
    shutdown: shutdown.signal,
    listeningPort: () => listeningPort,
  });

  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new InspectorStartError(
          error.code === 'EADDRINUSE'
            ? `port ${options.port ?? DEFAULT_INSPECTOR_PORT} on ${host} is in use: pick another with --port (0 picks a free one)`
            : `cannot listen on ${host}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? DEFAULT_INSPECTOR_PORT, host, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
  listeningPort = port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/${token === undefined ? '' : `?${TOKEN_PARAMETER}=${encodeURIComponent(token)}`}`;
  return {
    url,
    host,
    port,
    token,
    close: async () => {
      shutdown.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}

interface AppSettings extends InspectorOptions {
  readonly actors: readonly ReplayableClass[];
  readonly loopbackOnly: boolean;
  readonly token: string | undefined;
  readonly shutdown: AbortSignal;
  readonly listeningPort: () => number;
}

class RequestProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
  }
}

function inspectorApp(settings: AppSettings): Hono {
  const { store, actors } = settings;
  const page = loadPage();
  const replays = new StateReplays(store);
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Content-Security-Policy', page.contentSecurityPolicy);
    if (c.req.path.startsWith('/api/')) c.header('Cache-Control', 'no-store');
  });
  app.use(
    '*',
    accessControl({
      loopbackOnly: settings.loopbackOnly,
      token: settings.token,
      port: settings.listeningPort,
    }),
  );

  app.get('/api/overview', (c) =>
    c.json({ store: settings.storeDescription, actors: actors.map((actor) => actor.name) }),
  );

  app.get('/api/streams', async (c) => {
    const search = c.req.query('search') ?? '';
    const after = c.req.query('after');
    const limit = wholeNumber(c, 'limit', { min: 1, max: 500, default: 100 });
    const listing = await listStreamLines(store, {
      ...(search === '' ? {} : { contains: search }),
      ...(after === undefined || after === '' ? {} : { after }),
      limit,
      scanAtMost: 5000,
    });
    return c.json({
      streams: listing.lines,
      ...(listing.scannedTo === undefined ? {} : { next: listing.scannedTo }),
    });
  });

  app.get('/api/stream', async (c) => {
    const id = required(c, 'id');
    const from = wholeNumber(c, 'from', { min: 1, default: 1 });
    const limit = wholeNumber(c, 'limit', { min: 1, max: 1000, default: 500 });
    const version = await store.streamVersion(id);
    if (version === 0) throw new RequestProblem(404, `no stream "${id}" in this store`);
    const events = await store.readStream(id, { fromVersion: from, limit });
    return c.json({ stream: id, version, events });
  });

  app.get('/api/state', async (c) => {
    const stream = required(c, 'stream');
    const version = wholeNumber(c, 'version', { min: 1 });
    const actorName = c.req.query('actor');
    if (actors.length === 0) {
      throw new RequestProblem(
        409,
        'no actor class loaded: start the inspector with --actor ./path/to/module.ts#ClassName to see states',
      );
    }
    const actor = actorName === undefined ? actors[0] : actors.find((each) => each.name === actorName);
    if (actor === undefined) throw new RequestProblem(404, `no actor class "${actorName}" loaded`);
    const state = await replays.stateAt(actor, stream, version);
    if (state === undefined) throw new RequestProblem(404, `no event ${version} in stream "${stream}"`);
    return c.json(state);
  });

  app.get('/api/events', async (c) => {
    const names = c.req.queries('name') ?? [];
    if (names.length === 0 || names.some((name) => name === '')) {
      throw new RequestProblem(400, 'name is required: /api/events?name=<event name>');
    }
    const after = wholeNumber(c, 'after', { min: 0, default: 0 });
    const limit = wholeNumber(c, 'limit', { min: 1, max: 1000, default: 200 });
    const events = await store.readAll({ names, after, limit });
    return c.json({ events, ...(events.length === limit ? { next: events.at(-1)?.position } : {}) });
  });

  app.get('/api/live', (c) => {
    const stream = c.req.query('stream');
    const names = c.req.queries('name');
    // An empty one is no resume point (not position 0, which would replay the whole store).
    const resumeFrom = [c.req.header('last-event-id'), c.req.query('after')].find(
      (value) => value !== undefined && value !== '',
    );
    const after =
      resumeFrom === undefined ? undefined : /^\d+$/.test(resumeFrom) ? Number(resumeFrom) : Number.NaN;
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) {
      throw new RequestProblem(400, `after (or Last-Event-ID) must be a whole number, got "${resumeFrom}"`);
    }
    return liveEvents(
      c,
      store,
      {
        ...(stream === undefined || stream === '' ? {} : { stream }),
        ...(names === undefined || names.length === 0 ? {} : { names: new Set(names) }),
        ...(after === undefined ? {} : { after }),
      },
      settings.shutdown,
    );
  });

  app.get('*', (c) => {
    const asset = page.assets.get(c.req.path);
    if (asset === undefined) return c.json({ error: `nothing at ${c.req.path}` }, 404);
    return c.body(asset.body, 200, { 'Content-Type': asset.type });
  });

  app.onError((error, c) => {
    if (error instanceof RequestProblem) return c.json({ error: error.message }, error.status);
    if (error instanceof StoreUnavailableError) return c.json({ error: messageOf(error) }, 503);
    if (error instanceof UsageError || error instanceof InvalidActorIdError) {
      return c.json({ error: messageOf(error) }, 400);
    }
    return c.json({ error: messageOf(error) }, 500);
  });
  return app;
}

function required(c: Context, name: string): string {
  const value = c.req.query(name);
  if (value === undefined || value === '') throw new RequestProblem(400, `${name} is required`);
  return value;
}

function wholeNumber(
  c: Context,
  name: string,
  bounds: { readonly min: number; readonly max?: number; readonly default?: number },
): number {
  const text = c.req.query(name);
  if (text === undefined || text === '') {
    if (bounds.default !== undefined) return bounds.default;
    throw new RequestProblem(400, `${name} is required`);
  }
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (
    !Number.isSafeInteger(value) ||
    value < bounds.min ||
    (bounds.max !== undefined && value > bounds.max)
  ) {
    const range = bounds.max === undefined ? `>= ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
    throw new RequestProblem(400, `${name} must be a whole number ${range}, got "${text}"`);
  }
  return value;
}
