/**
 * AuthService: the parts of auth/ put together — tokens, users, sessions, customers, OIDC — with
 * the sign-in flows written as named steps and every change audited.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, EventBus } from '../core/index.js';
import type { Principal } from '../http/index.js';
import type { AuthStore } from './auth-store.js';
import { FLOW_COOKIE, readCookie, SESSION_COOKIE, setCookie } from './cookies.js';
import type { CustomerService } from './customers.js';
import { AuthErrors } from './errors.js';
import type { OidcClient, FlowSecrets } from './oidc.js';
import { mapClaims } from './oidc-claims.js';
import { newSecret, sha256Hex } from './secrets.js';
import type { SessionService } from './sessions.js';
import type { TokenService } from './tokens.js';
import type { User } from './types.js';
import type { UserService } from './users.js';

/** How long the first-admin sign-in link and an OIDC sign-in in progress stay valid. */
const LINK_MS = 24 * 3600_000;
const FLOW_MS = 10 * 60_000;

export interface AuthServiceDeps {
  store: AuthStore;
  clock: Clock;
  bus: EventBus;
  tokens: TokenService;
  users: UserService;
  sessions: SessionService;
  customers: CustomerService;
  oidc: OidcClient | undefined;
  /** `https://…` when browsers reach us over TLS (cookies get `Secure`). */
  publicUrl: string | undefined;
}

export class AuthService {
  constructor(readonly deps: AuthServiceDeps) {}

  audit(p: Principal | undefined, action: string, resource: string, before: unknown, after: unknown): void {
    this.deps.bus.emit('audit', {
      at: this.deps.clock.now(),
      actor: p
        ? { kind: p.kind ?? 'token', id: p.id, name: p.name }
        : { kind: 'system', id: 'auth', name: null },
      action,
      resource,
      ...(before !== null ? { before } : {}),
      ...(after !== null ? { after } : {}),
    });
  }

  secure(req: FastifyRequest): boolean {
    return req.protocol === 'https' || (this.deps.publicUrl?.startsWith('https:') ?? false);
  }

  /** Start a session for the user: cookie on the reply, CSRF token returned for the console. */
  async startSession(
    req: FastifyRequest,
    reply: FastifyReply,
    user: User,
    idToken: string | null = null,
  ): Promise<string> {
    const { cookie, session } = await this.deps.sessions.create(user.id, idToken);
    setCookie(reply, SESSION_COOKIE, cookie, {
      maxAge: this.deps.sessions.cookieMaxAge(session),
      secure: this.secure(req),
    });
    this.audit(
      { id: user.id, name: user.email, role: user.role, kind: 'user' },
      'session.create',
      `users/${user.id}`,
      null,
      { via: idToken ? 'oidc' : 'local' },
    );
    return session.csrf;
  }

  /** Sign out: end the session, clear the cookie; with OIDC, the provider's logout URL. */
  async endSession(req: FastifyRequest, reply: FastifyReply): Promise<{ endSessionUrl?: string }> {
    const cookie = readCookie(req, SESSION_COOKIE);
    const session = cookie ? await this.deps.sessions.end(cookie) : undefined;
    setCookie(reply, SESSION_COOKIE, '', { maxAge: 0, secure: this.secure(req) });
    if (session) this.audit(req.principal, 'session.end', `users/${session.userId}`, null, null);
    if (!session?.idToken || !this.deps.oidc) return {};
    const url = await this.deps.oidc.endSessionUrl(session.idToken);
    return url ? { endSessionUrl: url } : {};
  }

  /** The first-admin sign-in link's secret (printed once at start while no user exists). */
  async issueFirstAdminLink(): Promise<string | undefined> {
    if ((await this.deps.users.count()) > 0) return undefined;
    const secret = newSecret();
    await this.deps.store.putPending({
      hash: sha256Hex(secret),
      kind: 'link',
      data: {},
      expiresAt: this.deps.clock.now() + LINK_MS,
    });
    return secret;
  }

  /** Use the link once: the local `admin` user (created now if missing) is signed in. */
  async redeemFirstAdminLink(req: FastifyRequest, reply: FastifyReply, secret: string): Promise<void> {
    const p = await this.deps.store.takePending(sha256Hex(secret), 'link');
    if (!p || p.expiresAt <= this.deps.clock.now())
      throw AuthErrors.unauthorized('this sign-in link was used or has expired');
    const user =
      (await this.deps.store.findUserByEmail('admin')) ??
      (await this.deps.users.createLocal({ email: 'admin', name: 'admin', role: 'admin' }));
    if (user.disabled) throw AuthErrors.unauthorized('this user is disabled');
    this.audit(undefined, 'user.first_admin_link', `users/${user.id}`, null, null);
    await this.startSession(req, reply, await this.deps.users.recordLogin(user));
  }

  /** Step 1 of OIDC: remember state, nonce and PKCE verifier; bind them to this browser; redirect. */
  async oidcStart(req: FastifyRequest, reply: FastifyReply): Promise<string> {
    const oidc = this.requireOidc();
    const { url, flow } = await oidc.start();
    await this.deps.store.putPending({
      hash: sha256Hex(flow.state),
      kind: 'oidc',
      data: { nonce: flow.nonce, verifier: flow.verifier },
      expiresAt: this.deps.clock.now() + FLOW_MS,
    });
    setCookie(reply, FLOW_COOKIE, flow.state, {
      maxAge: FLOW_MS / 1000,
      secure: this.secure(req),
      path: '/api/v1/auth/oidc',
    });
    return url;
  }

  /**
   * Step 2 of OIDC, as steps: the flow this browser started → code exchange and ID token checks →
   * claims to a role → first-login provisioning → session.
   */
  async oidcCallback(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const oidc = this.requireOidc();
    const state = readCookie(req, FLOW_COOKIE);
    setCookie(reply, FLOW_COOKIE, '', { maxAge: 0, secure: this.secure(req), path: '/api/v1/auth/oidc' });
    const query = req.query as Record<string, string | undefined>;
    if (query.error)
      throw AuthErrors.oidcFailed(
        `the provider answered ${query.error}${query.error_description ? `: ${query.error_description}` : ''}`,
      );
    if (!state || query.state !== state)
      throw AuthErrors.oidcFailed('no sign-in in progress in this browser (start again)');
    const pending = await this.deps.store.takePending(sha256Hex(state), 'oidc');
    if (!pending || pending.expiresAt <= this.deps.clock.now())
      throw AuthErrors.oidcFailed('the sign-in took too long (start again)');
    const flow: FlowSecrets = {
      state,
      nonce: String(pending.data.nonce),
      verifier: String(pending.data.verifier),
    };
    const base = new URL(oidc.opts.redirectUrl);
    const current = new URL(req.url, base.origin);
    let result: Awaited<ReturnType<OidcClient['callback']>>;
    try {
      result = await oidc.callback(current, flow);
    } catch (err) {
      throw AuthErrors.oidcFailed((err as Error).message);
    }
    const mapped = mapClaims(result.claims, oidc.opts);
    if ('refused' in mapped) throw AuthErrors.oidcFailed(mapped.refused);
    const subject = `${String(result.claims.iss)}|${String(result.claims.sub)}`;
    const user = await this.deps.users.provision(subject, mapped);
    this.deps.tokens.forgetUser(user.id);
    await this.startSession(req, reply, user, result.idToken);
  }

  private requireOidc(): OidcClient {
    if (!this.deps.oidc) throw AuthErrors.oidcOff();
    return this.deps.oidc;
  }
}
