/**
 * API authentication types. The access check itself is injected (`auth/` owns API tokens, users,
 * sessions and customers); routes declare the least role they need in `config.role`, defaulting to
 * `viewer` for reads and `operator` for writes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Role = 'viewer' | 'operator' | 'admin';

export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Principal {
  /** Token id (never the secret) or, for a signed-in user, the user id. */
  id: string;
  /** Token name or the user's name (e-mail). */
  name: string;
  role: Role;
  /** Absent for API tokens; `user` for a browser session. */
  kind?: 'token' | 'user';
  /** The user a personal API token belongs to. */
  userId?: string;
  /** Set when the principal is a customer's: it sees only that customer's devices. */
  customer?: string;
  /** The session's CSRF token (sessions only): mutating requests must echo it. */
  csrf?: string;
  /** The customer's device scope, set by the access check for customer principals (list routes filter with it). */
  devices?: (d: { id: string; model: string | null; tags: string[] }) => boolean;
  /** For customer principals: does the customer own this device id (streams filter events with it)? */
  owns?: (deviceId: string) => Promise<boolean>;
}

/**
 * The access check every `/api/v1` route passes through (from `auth/`): authenticate, check the
 * role and customer scope, and set `req.principal`; throw a TsunaguError to refuse.
 */
export interface AccessCheck {
  (req: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Checks that need the parsed body (a customer's shadow write), run before the handler. */
  afterBody?: (req: FastifyRequest) => Promise<void>;
}

export interface TokenVerifier {
  /** Resolve a presented bearer secret to its principal, or undefined when unknown/expired/revoked. */
  verify(secret: string): Principal | undefined | Promise<Principal | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Least role allowed to call the route. */
    role?: Role;
    /** Route needs no token (health, OpenAPI). */
    public?: boolean;
    /**
     * The audit action name of a mutating route, `<resource>.<verb>` in lower snake case
     * (`device.service_state.set`). Every POST/PUT/PATCH/DELETE route declares one.
     */
    action?: string;
  }
}

export function hasRole(p: Principal, needed: Role): boolean {
  return ROLE_RANK[p.role] >= ROLE_RANK[needed];
}

/**
 * Whether a principal may see a resource that acts on `devices` (a schedule's targets, an SLO's
 * selector): staff always; a customer only when the resource covers at least one device and every
 * device it covers is the customer's, so nothing about other customers' devices shows through.
 * Routes answer "not found" (404) otherwise, as for a missing resource.
 */
export async function principalSees(
  p: Principal | undefined,
  devices: Iterable<DeviceRef> | AsyncIterable<DeviceRef>,
): Promise<boolean> {
  if (p?.customer === undefined) return true;
  const owns = p.devices;
  if (!owns) return false;
  let any = false;
  for await (const d of devices) {
    if (!owns(d)) return false;
    any = true;
  }
  return any;
}

type DeviceRef = { id: string; model: string | null; tags: string[] };
