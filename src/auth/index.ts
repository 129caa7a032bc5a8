/**
 * auth/ (issues 17 and 23): API tokens, users (local and OpenID Connect), server-side sessions,
 * customers, and the access check every `/api/v1` route calls. Other modules see the principal
 * (`req.principal`, typed in http/) and never this module's tables.
 */
import { readSecretFile, type DeviceDirectory } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import type { AccessCheck, TokenVerifier } from '../http/index.js';
import type { Role } from '../http/index.js';
import { createAccessCheck } from './access.js';
import type { AuthStore } from './auth-store.js';
import { CustomerService } from './customers.js';
import { OidcClient, type OidcOptions } from './oidc.js';
import { parseRoleMap } from './oidc-claims.js';
import type { KdfParams } from './passwords.js';
import { createPgAuthStore } from './pg-auth-store.js';
import { signInRoutes } from './routes-sign-in.js';
import { customerWritableRoutes } from './routes-customer-writable.js';
import { tokenRoutes } from './routes-tokens.js';
import { userRoutes } from './routes-users.js';
import { AuthService } from './service.js';
import { DEFAULT_SESSION_OPTIONS, SessionService, type SessionOptions } from './sessions.js';
import { DEFAULT_SIGN_IN_LIMITS, SignInLimiter, type SignInLimits } from './sign-in-limiter.js';
import { createSqliteAuthStore } from './sqlite-auth-store.js';
import { TokenService } from './tokens.js';
import { UserService } from './users.js';

export { AuthErrors } from './errors.js';
export { CUSTOMER_ROUTES, customerRule, type CustomerRule } from './customer-policy.js';
export { mapClaims, parseRoleMap, type ClaimMapping } from './oidc-claims.js';
export type { ApiToken, Customer, User } from './types.js';

export interface AuthModule extends PlatformModule {
  /** The access check for `registerApi`. */
  access: AccessCheck;
  /** Bearer-token verification alone (harnesses, the MQTT-over-HTTP paths that take tokens). */
  tokens: TokenVerifier;
  service: AuthService;
  /**
   * Print the one-time first-admin sign-in link when no user exists (called once HTTP listens).
   * Not with --admin-token: whoever set one already has a way in (and creates users with it).
   */
  announceSignInLink(baseUrl: string): Promise<void>;
}

export interface AuthOptions {
  /** Where one-time secrets are printed (default stderr, never the logs). */
  announce?: (line: string) => void;
  /** Password KDF parameters (tests lower them; production keeps the OWASP defaults). */
  kdf?: KdfParams;
  sessions?: Partial<SessionOptions>;
  signInLimits?: Partial<SignInLimits>;
  /** OIDC settings beyond the config (tests pass the client secret directly). */
  oidc?: Partial<OidcOptions>;
}

const SWEEP_MS = 60_000;

export async function openAuthStore(ctx: Pick<ModuleContext, 'db'>): Promise<AuthStore> {
  return ctx.db.kind === 'sqlite' ? createSqliteAuthStore(ctx.db) : createPgAuthStore(ctx.db);
}

function oidcOptions(ctx: ModuleContext, extra: Partial<OidcOptions> | undefined): OidcOptions | undefined {
  const c = ctx.config.oidc;
  const issuer = extra?.issuer ?? c.issuer;
  const clientId = extra?.clientId ?? c.clientId;
  if (!issuer) return undefined;
  if (!clientId) throw new Error('invalid configuration: oidc.clientId is needed with oidc.issuer');
  const base = (ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.httpPort}`).replace(
    /\/$/,
    '',
  );
  const defaultRole = extra?.defaultRole ?? (c.defaultRole as Role | undefined);
  if (defaultRole !== undefined && !['admin', 'operator', 'viewer'].includes(defaultRole))
    throw new Error('invalid configuration: oidc.defaultRole must be admin, operator or viewer');
  return {
    issuer,
    clientId,
    clientSecret:
      extra?.clientSecret ?? (c.clientSecretFile ? readSecretFile(c.clientSecretFile) : undefined),
    scopes: extra?.scopes ?? c.scopes,
    redirectUrl: extra?.redirectUrl ?? c.redirectUrl ?? `${base}/api/v1/auth/oidc/callback`,
    postLogoutRedirectUrl: extra?.postLogoutRedirectUrl ?? `${base}/`,
    roleClaim: extra?.roleClaim ?? c.roleClaim,
    roleMap: extra?.roleMap ?? parseRoleMap(c.roleMap),
    allowedDomains:
      extra?.allowedDomains ??
      (c.allowedDomains ?? '')
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter(Boolean),
    ...(defaultRole !== undefined ? { defaultRole } : {}),
  };
}

export async function createAuth(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: AuthOptions = {},
): Promise<AuthModule> {
  const log = ctx.log.child({ module: 'auth' });
  const store = await openAuthStore(ctx);
  // A revoked token stops working on every node at once (cluster events), not only after CACHE_MS.
  const events = clusterEventsOf(ctx);
  const tokens = new TokenService(store, ctx.clock, (id) =>
    events.publish('invalidate', { kind: 'token', id }),
  );
  const unwire = [
    events.subscribe('invalidate', (e) => {
      if (e.kind === 'token') tokens.forget(e.id);
    }),
    events.onResync(() => tokens.clear()),
  ];
  const sessions = new SessionService(store, ctx.clock, { ...DEFAULT_SESSION_OPTIONS, ...opts.sessions });
  const users = new UserService(
    store,
    ctx.clock,
    new SignInLimiter(ctx.clock, { ...DEFAULT_SIGN_IN_LIMITS, ...opts.signInLimits }),
    opts.kdf,
  );
  const customers = new CustomerService(store, ctx.clock, directory);
  const oidcOpts = oidcOptions(ctx, opts.oidc);
  const service = new AuthService({
    store,
    clock: ctx.clock,
    bus: ctx.bus,
    tokens,
    users,
    sessions,
    customers,
    oidc: oidcOpts ? new OidcClient(oidcOpts) : undefined,
    publicUrl: ctx.config.publicUrl,
  });
  const announce = opts.announce ?? ((line: string) => process.stderr.write(line + '\n'));

  const generated = await tokens.bootstrap(ctx.config.adminToken);
  if (generated !== undefined) {
    // Printed once, to stderr and not to the logs (logs are shipped and kept).
    announce(`tsunagu: first admin API token: ${generated}`);
    announce('tsunagu: store it now; it is not shown again (create more with POST /api/v1/tokens)');
  }

  const routes = [
    tokenRoutes(service),
    signInRoutes(service, { mapTilesUrl: ctx.config.mapTilesUrl }),
    userRoutes(service),
    customerWritableRoutes(directory),
  ];
  let sweep: NodeJS.Timeout | undefined;
  const ownership = ownershipOf(ctx);
  return {
    name: 'auth',
    access: createAccessCheck({ tokens, sessions, store, customers, directory, now: () => ctx.clock.now() }),
    tokens,
    service,
    routes: (api) => {
      for (const r of routes) r(api);
    },
    async announceSignInLink(baseUrl) {
      if (ctx.config.adminToken) return;
      const secret = await service.issueFirstAdminLink();
      if (secret === undefined) return;
      announce(
        `tsunagu: no users yet; sign in as admin once (valid 24 h): ${baseUrl.replace(/\/$/, '')}/api/v1/auth/link/${secret}`,
      );
    },
    async start() {
      // Expired sessions and flows are refused on read anyway; the sweep only keeps tables small.
      sweep = setInterval(() => {
        if (!ownership.owns('auth.sweep')) return;
        sessions.sweep().catch((err: unknown) => log.warn({ err }, 'auth: session sweep failed'));
      }, SWEEP_MS);
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      for (const off of unwire) off();
    },
  };
}
