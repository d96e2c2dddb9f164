/**
 * Who may read the store through the inspector. The inspector shows every event of the store, so:
 * - Bound to a loopback address (the default, 127.0.0.1), it answers only requests addressed to a
 *   loopback name (`127.0.0.1`, `localhost`, `[::1]`): a web page elsewhere cannot reach it by
 *   pointing a name of its own at 127.0.0.1 (DNS rebinding).
 * - Bound anywhere else, a token is required (one is made at start when none is given), and any
 *   request must carry it: in the page's address once (`?token=…`, then kept in a cookie that only
 *   this site sends, and taken out of the address), or as `Authorization: Bearer …`.
 * A token may also be required on loopback, by giving one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/**
 * The cookie's name, with the port in it: browsers keep cookies per host, not per port, so two
 * inspectors on one machine would otherwise overwrite each other's.
 */
export function tokenCookie(port: number): string {
  return `omniscient_inspector_token_${port}`;
}
export const TOKEN_PARAMETER = 'token';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether `host` (an address to bind, or a Host header's name) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_HOSTS.has(name) || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** A fresh token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time (through digests of equal length), so a wrong token's timing says nothing. */
function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The name part of a Host header (`[::1]:4747` → `[::1]`, `localhost:4747` → `localhost`). */
export function hostName(header: string): string {
  const bracketed = /^(\[[^\]]*\])(?::\d+)?$/.exec(header);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

export function accessControl(options: {
  readonly loopbackOnly: boolean;
  readonly token: string | undefined;
  /** The port listened on (known once listening). */
  readonly port: () => number;
}): MiddlewareHandler {
  const { loopbackOnly, token } = options;
  return async (c, next) => {
    if (loopbackOnly && !isLoopback(hostName(c.req.header('host') ?? ''))) {
      return c.text('This inspector answers only at 127.0.0.1 or localhost.\n', 403);
    }
    if (token === undefined) return next();

    const cookie = tokenCookie(options.port());
    const inAddress = c.req.query(TOKEN_PARAMETER);
    if (inAddress !== undefined && c.req.method === 'GET' && sameToken(inAddress, token)) {
      setCookie(c, cookie, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      if (!c.req.path.startsWith('/api/')) {
        // The token leaves the address bar (and the history) once the cookie holds it. One leading
        // slash only: `//elsewhere/` would be another site's address to a browser.
        const url = new URL(c.req.url);
        url.searchParams.delete(TOKEN_PARAMETER);
        return c.redirect(`/${url.pathname.replace(/^\/+/, '')}${url.search}`, 303);
      }
      return next();
    }
    const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (sameToken(bearer, token) || sameToken(getCookie(c, cookie), token)) return next();
    return c.text(
      'This inspector needs its token: open the address it printed at start (…/?token=…), or send Authorization: Bearer <token>.\n',
      401,
    );
  };
}
