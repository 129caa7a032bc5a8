/**
 * Server-side sessions. The browser holds a random cookie value; the store holds its hash, the
 * user, a CSRF token, and two deadlines: idle (no request for `idleMs`) and absolute (`maxAgeMs`
 * after sign-in, whatever the activity). Lookups re-read the store, so sign-out and disabling a
 * user end the session on every node at once.
 */
import type { Clock } from '../core/index.js';
import type { AuthStore } from './auth-store.js';
import { newSecret, sha256Hex } from './secrets.js';
import type { Session } from './types.js';

export interface SessionOptions {
  /** Ends after this long without a request (default 2 h). */
  idleMs: number;
  /** Ends this long after sign-in regardless of activity (default 12 h). */
  maxAgeMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = { idleMs: 2 * 3600_000, maxAgeMs: 12 * 3600_000 };
/** Activity is written at most this often per session (a write per request would be waste). */
const TOUCH_EVERY_MS = 60_000;

export class SessionService {
  constructor(
    private readonly store: AuthStore,
    private readonly clock: Clock,
    readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {}

  /** A new session; returns the cookie value (shown to the browser only). */
  async create(userId: string, idToken: string | null = null): Promise<{ cookie: string; session: Session }> {
    const cookie = newSecret();
    const now = this.clock.now();
    const session: Session = {
      hash: sha256Hex(cookie),
      userId,
      csrf: newSecret(),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.opts.maxAgeMs,
      idToken,
    };
    await this.store.putSession(session);
    return { cookie, session };
  }

  /** The live session behind a cookie value, or undefined (unknown, idle too long, past its age). */
  async resolve(cookie: string): Promise<Session | undefined> {
    const hash = sha256Hex(cookie);
    const s = await this.store.getSession(hash);
    if (!s) return undefined;
    const now = this.clock.now();
    if (now >= s.expiresAt || now - s.lastSeenAt >= this.opts.idleMs) {
      await this.store.deleteSession(hash);
      return undefined;
    }
    if (now - s.lastSeenAt >= TOUCH_EVERY_MS) await this.store.touchSession(hash, now);
    return s;
  }

  /** Seconds the cookie should live: until the absolute expiry. */
  cookieMaxAge(s: Session): number {
    return (s.expiresAt - this.clock.now()) / 1000;
  }

  async end(cookie: string): Promise<Session | undefined> {
    const hash = sha256Hex(cookie);
    const s = await this.store.getSession(hash);
    await this.store.deleteSession(hash);
    return s;
  }

  endAllFor(userId: string): Promise<number> {
    return this.store.deleteUserSessions(userId);
  }

  sweep(): Promise<number> {
    const now = this.clock.now();
    return this.store.sweep(now, now - this.opts.idleMs);
  }
}
