/**
 * API tokens (moved here from registry/): stored as sha256 hashes with a role, optional expiry and
 * revocation. Verification is a map lookup on this node; entries are re-read from the store after
 * `CACHE_MS` so that a token revoked (or its user disabled) on another node stops working within
 * that time (at once on this node). Personal tokens belong to a user: never above the user's role,
 * and dead while the user is disabled.
 */
import type { Clock } from '../core/index.js';
import { ROLE_RANK, type Principal, type Role, type TokenVerifier } from '../http/index.js';
import type { AuthStore } from './auth-store.js';
import { AuthErrors } from './errors.js';
import { newId, newTokenSecret, sha256Hex } from './secrets.js';
import type { ApiToken, User } from './types.js';

const CACHE_MS = 10_000;

export type TokenView = Omit<ApiToken, 'hash' | 'userId' | 'customer'> & {
  userId?: string;
  customer?: string;
};

export const tokenView = ({ hash: _hash, userId, customer, ...rest }: ApiToken): TokenView => ({
  ...rest,
  ...(userId !== null ? { userId } : {}),
  ...(customer !== null ? { customer } : {}),
});

interface CacheEntry {
  token: ApiToken | null;
  user: User | null;
  at: number;
}

export class TokenService implements TokenVerifier {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly store: AuthStore,
    private readonly clock: Clock,
    /** Told after a token was revoked (app: an `invalidate` cluster event, so every node drops it at once). */
    private readonly changed: (tokenId: string) => void = () => undefined,
  ) {}

  /**
   * The first admin: the configured secret (its hash replaces any earlier bootstrap token), or, when
   * no token exists at all, a generated one that the caller prints once. Returns the generated secret.
   */
  async bootstrap(adminToken: string | undefined): Promise<string | undefined> {
    await this.store.importLegacyTokens();
    const tokens = await this.store.listTokens();
    const now = this.clock.now();
    const bootstrapToken = (hash: string, existing?: ApiToken): ApiToken => ({
      id: existing?.id ?? 'admin',
      name: 'bootstrap admin',
      role: 'admin',
      hash,
      createdAt: existing?.createdAt ?? now,
      expiresAt: null,
      revokedAt: null,
      bootstrap: true,
      userId: null,
      customer: null,
    });
    if (adminToken !== undefined && adminToken !== '') {
      const hash = sha256Hex(adminToken);
      const existing = tokens.find((t) => t.bootstrap);
      if (existing?.hash === hash && existing.revokedAt === null) return undefined;
      await this.store.putToken(bootstrapToken(hash, existing));
      this.cache.clear();
      return undefined;
    }
    if (tokens.length > 0) return undefined;
    const secret = newTokenSecret();
    await this.store.putToken(bootstrapToken(sha256Hex(secret)));
    return secret;
  }

  async verify(secret: string): Promise<Principal | undefined> {
    const hash = sha256Hex(secret);
    const now = this.clock.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at >= CACHE_MS) {
      const token = (await this.store.findTokenByHash(hash)) ?? null;
      const user = token?.userId ? ((await this.store.getUser(token.userId)) ?? null) : null;
      entry = { token, user, at: now };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, entry);
    }
    const t = entry.token;
    if (!t || t.revokedAt !== null || (t.expiresAt !== null && now >= t.expiresAt)) return undefined;
    if (t.userId === null) return { id: t.id, name: t.name, role: t.role };
    const u = entry.user;
    if (!u || u.disabled) return undefined;
    // The user's role may have been lowered since the token was made: the lower of the two counts.
    const role = ROLE_RANK[u.role] < ROLE_RANK[t.role] ? u.role : t.role;
    return {
      id: t.id,
      name: t.name,
      role,
      userId: u.id,
      ...(u.customer !== null ? { customer: u.customer } : {}),
    };
  }

  /** An admin's token (no owner), or a user's personal token: role ≤ the user's, customer scope carried. */
  async create(
    name: string,
    role: Role,
    expiresAt: number | null,
    owner?: User,
  ): Promise<{ token: TokenView; secret: string }> {
    const now = this.clock.now();
    if (expiresAt !== null && expiresAt <= now)
      throw AuthErrors.invalid('body.expiresAt', 'must be in the future');
    if (owner && ROLE_RANK[role] > ROLE_RANK[owner.role])
      throw AuthErrors.invalid('body.role', `cannot exceed your own role (${owner.role})`);
    const secret = newTokenSecret();
    const token: ApiToken = {
      id: newId('tok'),
      name,
      role,
      hash: sha256Hex(secret),
      createdAt: now,
      expiresAt,
      revokedAt: null,
      bootstrap: false,
      userId: owner?.id ?? null,
      customer: owner?.customer ?? null,
    };
    await this.store.putToken(token);
    return { token: tokenView(token), secret };
  }

  async list(userId?: string): Promise<TokenView[]> {
    const all = await this.store.listTokens();
    return (userId === undefined ? all : all.filter((t) => t.userId === userId)).map(tokenView);
  }

  /** Revoke; with `userId`, only that user's own token (another's is "not found"). */
  async revoke(id: string, userId?: string): Promise<{ before: TokenView; after: TokenView }> {
    const t = (await this.store.listTokens()).find(
      (x) => x.id === id && (userId === undefined || x.userId === userId),
    );
    if (!t) throw AuthErrors.tokenNotFound(id);
    const after: ApiToken = { ...t, revokedAt: t.revokedAt ?? this.clock.now() };
    await this.store.putToken(after);
    this.cache.delete(t.hash);
    this.changed(t.id);
    return { before: tokenView(t), after: tokenView(after) };
  }

  /** A token changed on some node: drop this node's cached copy. */
  forget(tokenId: string): void {
    for (const [hash, e] of this.cache) if (e.token?.id === tokenId) this.cache.delete(hash);
  }

  /** Cluster events may have been missed (a resync): drop every cached entry. */
  clear(): void {
    this.cache.clear();
  }

  /** A user was disabled or changed: drop cached entries so this node sees it at once. */
  forgetUser(userId: string): void {
    for (const [hash, e] of this.cache) if (e.token?.userId === userId) this.cache.delete(hash);
  }
}
