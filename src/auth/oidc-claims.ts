/**
 * OpenID Connect claims → a Tsunagu identity: which claim carries groups/roles, how its values map
 * to `admin`, `operator`, `viewer` or `customer:<id>`, and which e-mail domains may sign in.
 */
import { ROLE_RANK, type Role } from '../http/index.js';

export interface ClaimMapping {
  /** The claim holding groups or roles (`groups`, `roles`, `cognito:groups`); a dotted path reaches nested claims (`realm_access.roles`). */
  roleClaim: string;
  /** Claim value → `admin` | `operator` | `viewer` | `customer:<id>`. Unmapped values that already are one of those count as themselves. */
  roleMap: Record<string, string>;
  /** Lower-case e-mail domains allowed to sign in; empty: any. */
  allowedDomains: string[];
  /** Role for a person whose claims map to nothing; undefined: such a sign-in is refused. */
  defaultRole?: Role;
}

export interface MappedIdentity {
  email: string;
  name: string;
  role: Role;
  customer: string | null;
}

const ROLES = new Set<string>(['admin', 'operator', 'viewer']);

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let v: unknown = claims;
  for (const part of path.split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Parse `a=admin,b=customer:acme` (the flag form of `roleMap`). */
export function parseRoleMap(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.lastIndexOf('=');
    if (eq <= 0) continue;
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The identity for these ID token claims, or a reason to refuse the sign-in. */
export function mapClaims(
  claims: Record<string, unknown>,
  m: ClaimMapping,
): MappedIdentity | { refused: string } {
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : '';
  if (m.allowedDomains.length) {
    const domain = email.split('@')[1] ?? '';
    if (!email || !m.allowedDomains.includes(domain))
      return { refused: `e-mail domain not allowed (${domain || 'no e-mail claim'})` };
    if (claims.email_verified === false) return { refused: 'e-mail not verified at the provider' };
  }
  const raw = claimAt(claims, m.roleClaim);
  const values = Array.isArray(raw)
    ? raw.map(String)
    : typeof raw === 'string'
      ? raw.split(/[\s,]+/).filter(Boolean)
      : [];
  let role: Role | undefined;
  let customer: string | null = null;
  for (const v of values) {
    const target = m.roleMap[v] ?? v;
    if (ROLES.has(target)) {
      if (role === undefined || ROLE_RANK[target as Role] > ROLE_RANK[role]) role = target as Role;
    } else if (target.startsWith('customer:') && target.length > 9 && customer === null)
      customer = target.slice(9);
  }
  const name = typeof claims.name === 'string' ? claims.name : email || String(claims.sub);
  const who = email || `${String(claims.sub)}@unknown`;
  // Staff roles win over a customer mapping: an operator who is also in a customer's group is an operator.
  if (role !== undefined) return { email: who, name, role, customer: null };
  if (customer !== null) return { email: who, name, role: 'viewer', customer };
  if (m.defaultRole) return { email: who, name, role: m.defaultRole, customer: null };
  return { refused: `no Tsunagu role in claim "${m.roleClaim}"` };
}
