/**
 * The access check every `/api/v1` route passes through, as a named list of steps:
 * credentials (bearer token, else session cookie) → CSRF for cookie sessions that change state →
 * customer scope (table in customer-policy.ts) or role (`config.role`, default viewer for reads and
 * operator for writes). Failed authentications are rate limited per address; a valid credential
 * is never refused for its address's failures.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceDirectory } from '../core/index.js';
import { hasRole, type AccessCheck, type Principal, type Role } from '../http/index.js';
import type { CustomerService } from './customers.js';
import { customerRule, customerWritableKeys, forbiddenDesiredKeys } from './customer-policy.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { AuthErrors } from './errors.js';
import type { SessionService } from './sessions.js';
import type { TokenService } from './tokens.js';
import type { AuthStore } from './auth-store.js';

const AUTH_FAILURES_PER_MINUTE = 30;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AccessDeps {
  tokens: TokenService;
  sessions: SessionService;
  store: AuthStore;
  customers: CustomerService;
  directory: DeviceDirectory;
  now: () => number;
}

/** Routes a signed-in browser may call without the CSRF header: none that change state, except signing out. */
const CSRF_EXEMPT = new Set<string>();

export function createAccessCheck(deps: AccessDeps): AccessCheck {
  const failures = new Map<string, { count: number; start: number }>();
  const fail = (reply: FastifyReply, ip: string, why: string): never => {
    const now = deps.now();
    let w = failures.get(ip);
    if (!w || now - w.start >= 60_000) {
      if (failures.size >= 10_000) failures.clear();
      w = { count: 0, start: now };
      failures.set(ip, w);
    }
    if (++w.count > AUTH_FAILURES_PER_MINUTE) {
      void reply.header('retry-after', String(Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000))));
      throw AuthErrors.rateLimited('too many failed authentications from this address; wait a minute');
    }
    throw AuthErrors.unauthorized(why);
  };

  async function credentials(req: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const secret = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const p = secret ? await deps.tokens.verify(secret) : undefined;
      return (
        p ?? fail(reply, req.ip, secret ? 'invalid or expired token' : 'Authorization must be Bearer <token>')
      );
    }
    const cookie = readCookie(req, SESSION_COOKIE);
    if (cookie === undefined)
      return fail(reply, req.ip, 'missing Authorization: Bearer <token> (or a signed-in session)');
    const session = await deps.sessions.resolve(cookie);
    const user = session ? await deps.store.getUser(session.userId) : undefined;
    if (!session || !user || user.disabled)
      return fail(reply, req.ip, 'session expired or signed out; sign in again');
    return {
      id: user.id,
      name: user.email,
      role: user.role,
      kind: 'user',
      ...(user.customer !== null ? { customer: user.customer } : {}),
      csrf: session.csrf,
    };
  }

  function csrf(req: FastifyRequest, p: Principal): void {
    if (p.kind !== 'user' || !MUTATING.has(req.method) || CSRF_EXEMPT.has(req.routeOptions.url ?? '')) return;
    if (req.headers['x-csrf-token'] !== p.csrf) throw AuthErrors.csrf();
  }

  async function scope(req: FastifyRequest, p: Principal): Promise<void> {
    if (p.customer === undefined) {
      const cfg = req.routeOptions.config;
      const needed: Role =
        cfg.role ?? (req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'operator');
      const who = p.kind === 'user' ? 'you have' : 'token has';
      if (!hasRole(p, needed)) throw AuthErrors.forbidden(`this needs the ${needed} role; ${who} ${p.role}`);
      return;
    }
    const rule = customerRule(req.method, req.routeOptions.url ?? '');
    if (!rule) throw AuthErrors.forbidden('not available to customer accounts');
    const customer = p.customer;
    p.devices = await deps.customers.scope(customer);
    p.owns = (deviceId) => deps.customers.owns(customer, deviceId);
    if (rule.kind === 'any' || rule.kind === 'scoped') return;
    const id = (req.params as Record<string, string | undefined>).id ?? '';
    if (!(await deps.customers.owns(p.customer, id))) throw AuthErrors.deviceNotFound(id);
  }

  const check: AccessCheck = async (req, reply) => {
    const p = await credentials(req, reply);
    csrf(req, p);
    await scope(req, p);
    req.principal = p;
  };

  // A customer's shadow write may set only the desired keys the device's model marks customer-writable.
  check.afterBody = async (req) => {
    const p = req.principal;
    if (
      p?.customer === undefined ||
      customerRule(req.method, req.routeOptions.url ?? '')?.kind !== 'shadow-write'
    )
      return;
    const device = await deps.directory.getDevice((req.params as { id: string }).id);
    const model = device?.model ? await deps.directory.getModel(device.model) : undefined;
    const keys = forbiddenDesiredKeys(req.body, customerWritableKeys(model));
    if (keys === 'not-desired-only')
      throw AuthErrors.forbidden('customer accounts may only write state.desired');
    if (keys.length)
      throw AuthErrors.forbidden(
        `not customer-writable: ${keys.map((k) => `state.desired.${k}`).join(', ')}`,
      );
  };
  return check;
}
