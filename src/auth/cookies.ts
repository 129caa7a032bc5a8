/** The session cookie: read from `Cookie`, written with the attributes that keep it out of scripts and other sites. */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'tsunagu_session';
/** The browser half of an OIDC sign-in in progress (binds the callback to the browser that started it). */
export const FLOW_COOKIE = 'tsunagu_oidc';

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(v);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Secure when the browser reached us over TLS (directly or via a proxy's public https URL). */
  secure: boolean;
  path?: string;
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site sub-requests or POSTs; Lax,
 * not Strict, because the OIDC callback arrives as a top-level navigation from the provider).
 */
export function setCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions): void {
  const attrs = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${o.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(o.maxAge))}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(o.secure ? ['Secure'] : []),
  ];
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  void reply.header('set-cookie', [...list, attrs.join('; ')]);
}
