/**
 * Sign-in and sign-out: local password, the first-admin link, OpenID Connect, who am I, password
 * change. Public routes here are the only ones in /api/v1 that a browser without a session reaches.
 */
import type { FastifyInstance } from 'fastify';
import { AuthErrors } from './errors.js';
import { verifyPassword } from './passwords.js';
import * as S from './schemas.js';
import type { AuthService } from './service.js';

const CONSOLE = '/';

/** Platform settings the console reads with the session (signed-in callers only, not the sign-in page). */
export interface ConsoleSettings {
  /** `--map-tiles-url`: the map's default tiles (a browser's own setting overrides it). */
  mapTilesUrl?: string | undefined;
}

export function signInRoutes(auth: AuthService, settings: ConsoleSettings = {}) {
  const { users, oidc } = auth.deps;
  return (api: FastifyInstance): void => {
    api.get(
      '/auth/options',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'How people can sign in here (for the sign-in page)',
          response: { 200: S.signInOptions },
        },
      },
      () => ({
        local: true,
        oidc: oidc !== undefined,
        ...(oidc ? { oidcLoginUrl: '/api/v1/auth/oidc/login' } : {}),
      }),
    );

    api.post<{ Body: { email: string; password: string } }>(
      '/auth/login',
      {
        config: { public: true, action: 'session.create' },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with e-mail and password (sets the session cookie)',
          body: S.loginBody,
          response: { 200: S.session, ...S.errors },
        },
      },
      async (req, reply) => {
        let user;
        try {
          user = await users.signIn(req.body.email, req.body.password, req.ip);
        } catch (err) {
          const wait = (err as { retryAfter?: number }).retryAfter;
          if (wait !== undefined) void reply.header('retry-after', String(wait));
          throw err;
        }
        const csrfToken = await auth.startSession(req, reply, user);
        return {
          principal: {
            id: user.id,
            name: user.email,
            role: user.role,
            kind: 'user',
            ...(user.customer ? { customer: user.customer } : {}),
          },
          csrfToken,
        };
      },
    );

    api.get(
      '/auth/session',
      {
        schema: {
          tags: ['auth'],
          summary: "Who is signed in, the CSRF token of a browser session, and the console's settings",
          response: { 200: S.session },
        },
      },
      (req) => {
        const p = req.principal!;
        return {
          principal: {
            id: p.id,
            name: p.name,
            role: p.role,
            kind: p.kind ?? 'token',
            ...(p.customer !== undefined ? { customer: p.customer } : {}),
          },
          ...(p.csrf !== undefined ? { csrfToken: p.csrf } : {}),
          // A tile URL may carry a provider key: told to signed-in callers, not on the public options.
          console: settings.mapTilesUrl !== undefined ? { mapTilesUrl: settings.mapTilesUrl } : {},
        };
      },
    );

    api.post(
      '/auth/logout',
      {
        config: { action: 'session.end', role: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Sign out (and, with SSO, the URL that signs out at the provider)',
          response: { 200: S.logoutResult },
        },
      },
      (req, reply) => auth.endSession(req, reply),
    );

    api.put<{ Body: { current?: string; password: string } }>(
      '/auth/password',
      {
        config: { action: 'user.password.set', role: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Set my password (local users)',
          body: S.passwordBody,
          response: { 204: { type: 'null' }, ...S.errors },
        },
      },
      async (req, reply) => {
        const p = req.principal!;
        if (p.kind !== 'user') throw AuthErrors.forbidden('only a signed-in user has a password');
        const u = await users.get(p.id);
        if (u.source !== 'local') throw AuthErrors.forbidden('this user signs in with single sign-on');
        if (
          u.passwordHash !== null &&
          !(req.body.current !== undefined && (await verifyPassword(req.body.current, u.passwordHash)))
        )
          throw AuthErrors.invalid('body.current', 'the current password is wrong');
        await users.setPassword(u.id, req.body.password);
        auth.audit(p, 'user.password.set', `users/${u.id}`, null, { password: '[redacted]' });
        return reply.status(204).send();
      },
    );

    api.get<{ Params: { secret: string } }>(
      '/auth/link/:secret',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'One-time first-admin sign-in link (printed at start while no user exists)',
          hide: true,
        },
      },
      async (req, reply) => {
        await auth.redeemFirstAdminLink(req, reply, req.params.secret);
        return reply.redirect(CONSOLE, 303);
      },
    );

    api.get(
      '/auth/oidc/login',
      {
        config: { public: true },
        schema: { tags: ['auth'], summary: 'Start single sign-on (redirects to the identity provider)' },
      },
      async (req, reply) => reply.redirect(await auth.oidcStart(req, reply), 303),
    );
    api.get(
      '/auth/oidc/callback',
      {
        config: { public: true },
        schema: { tags: ['auth'], summary: 'Where the identity provider sends the browser back' },
      },
      async (req, reply) => {
        try {
          await auth.oidcCallback(req, reply);
        } catch (err) {
          // A browser goes back to the console's sign-in page, which shows why; API clients get the 401.
          if (!String(req.headers.accept ?? '').includes('text/html')) throw err;
          return reply.redirect(`${CONSOLE}?signInError=${encodeURIComponent((err as Error).message)}`, 303);
        }
        return reply.redirect(CONSOLE, 303);
      },
    );
  };
}
