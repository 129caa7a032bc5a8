/**
 * API authentication: `Authorization: Bearer <token>`. The verifier is injected (the token store
 * lives in `tokens.ts`); routes declare the least role they need in `config.role`, defaulting to
 * `viewer` for reads and `operator` for writes.
 */
export type Role = 'viewer' | 'operator' | 'admin';

export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Principal {
  /** Token id (never the secret). */
  id: string;
  name: string;
  role: Role;
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
