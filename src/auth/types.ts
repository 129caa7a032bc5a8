/**
 * What auth/ persists: API tokens, users, sessions, pending one-time flows and customers.
 * Timestamps are epoch milliseconds from `ctx.clock`.
 */
import type { Role } from '../http/index.js';

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  /** sha256 hex of the secret (tokens are 256-bit random, so a fast hash is enough). */
  hash: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  /** The admin token from --admin-token or the one generated at first start. */
  bootstrap: boolean;
  /** A personal token's owner: it stops working when the user is disabled. */
  userId: string | null;
  /** A customer user's personal token carries the customer scope. */
  customer: string | null;
}

/** Where a user came from: a local password, or an OpenID provider (first-login provisioning). */
export type UserSource = 'local' | 'oidc';

export interface User {
  id: string;
  /** Lower-cased e-mail (the sign-in name for local users). */
  email: string;
  name: string;
  role: Role;
  /** Set for a customer's user: sees only that customer's devices. */
  customer: string | null;
  source: UserSource;
  /** `scrypt$…` (passwords.ts); null for OIDC users and before a local user sets one. */
  passwordHash: string | null;
  /** `issuer|sub` for OIDC users. */
  subject: string | null;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface Session {
  /** sha256 hex of the cookie value (the cookie value itself is never stored). */
  hash: string;
  userId: string;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry: the session ends here whatever its activity. */
  expiresAt: number;
  /** The provider's ID token (RP-initiated logout sends it as id_token_hint). */
  idToken: string | null;
}

/** A one-time flow in progress: an admin sign-in link or an OIDC authorization request. */
export interface Pending {
  hash: string;
  kind: 'link' | 'oidc';
  data: Record<string, unknown>;
  expiresAt: number;
}

/** A customer owns devices named by id, by model, or by tag (any match). */
export interface Customer {
  id: string;
  name: string;
  devices: string[];
  models: string[];
  tags: string[];
  createdAt: number;
  updatedAt: number;
}
