/**
 * API tokens: stored as sha256 hashes with a role, optional expiry and revocation. Verification is
 * a map lookup on this node; entries are re-read from the store after `CACHE_MS` so that a token
 * revoked on another node stops working within that time (at once on this node).
 */
import type { Clock } from '../core/index.js';
import type { Principal, Role, TokenVerifier } from '../http/index.js';
import { RegistryErrors } from './errors.js';
import { newId, newTokenSecret, sha256Hex } from './secrets.js';
import type { RegistryStore } from './store.js';
import type { ApiToken } from './types.js';

const CACHE_MS = 10_000;

export type TokenView = Omit<ApiToken, 'hash'>;

export const tokenView = ({ hash: _hash, ...rest }: ApiToken): TokenView => rest;

export class TokenStore implements TokenVerifier {
  private readonly cache = new Map<string, { token: ApiToken | null; at: number }>();

  constructor(
    private readonly store: RegistryStore,
    private readonly clock: Clock,
    /** Told after a token changed in the store (app: an `invalidate` cluster event to every node). */
    private readonly changed: (tokenId: string) => void = () => undefined,
  ) {}

  /**
   * The first admin: the configured secret (its hash replaces any earlier bootstrap token), or, when
   * no token exists at all, a generated one that the caller prints once. Returns the generated secret.
   */
  async bootstrap(adminToken: string | undefined): Promise<string | undefined> {
    const tokens = await this.store.listTokens();
    const now = this.clock.now();
    if (adminToken !== undefined && adminToken !== '') {
      const hash = sha256Hex(adminToken);
      const existing = tokens.find((t) => t.bootstrap);
      if (existing?.hash === hash && existing.revokedAt === null) return undefined;
      await this.store.putToken({
        id: existing?.id ?? 'admin',
        name: 'bootstrap admin',
        role: 'admin',
        hash,
        createdAt: existing?.createdAt ?? now,
        expiresAt: null,
        revokedAt: null,
        bootstrap: true,
      });
      this.cache.clear();
      return undefined;
    }
    if (tokens.length > 0) return undefined;
    const secret = newTokenSecret();
    await this.store.putToken({
      id: 'admin',
      name: 'bootstrap admin',
      role: 'admin',
      hash: sha256Hex(secret),
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
      bootstrap: true,
    });
    return secret;
  }

  /** A token changed on some node: drop this node's cached copy (cluster-invalidation.ts). */
  forget(tokenId: string): void {
    for (const [hash, e] of this.cache) if (e.token?.id === tokenId) this.cache.delete(hash);
  }

  clear(): void {
    this.cache.clear();
  }

  async verify(secret: string): Promise<Principal | undefined> {
    const hash = sha256Hex(secret);
    const now = this.clock.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at >= CACHE_MS) {
      entry = { token: (await this.store.findTokenByHash(hash)) ?? null, at: now };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, entry);
    }
    const t = entry.token;
    if (!t || t.revokedAt !== null || (t.expiresAt !== null && now >= t.expiresAt)) return undefined;
    return { id: t.id, name: t.name, role: t.role };
  }

  async create(
    name: string,
    role: Role,
    expiresAt: number | null,
  ): Promise<{ token: TokenView; secret: string }> {
    const now = this.clock.now();
    if (expiresAt !== null && expiresAt <= now)
      throw RegistryErrors.invalid('body.expiresAt', 'must be in the future');
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
    };
    await this.store.putToken(token);
    return { token: tokenView(token), secret };
  }

  async list(): Promise<TokenView[]> {
    return (await this.store.listTokens()).map(tokenView);
  }

  async revoke(id: string): Promise<{ before: TokenView; after: TokenView }> {
    const t = (await this.store.listTokens()).find((x) => x.id === id);
    if (!t) throw RegistryErrors.tokenNotFound(id);
    const after: ApiToken = { ...t, revokedAt: t.revokedAt ?? this.clock.now() };
    await this.store.putToken(after);
    this.cache.delete(t.hash);
    this.changed(t.id);
    return { before: tokenView(t), after: tokenView(after) };
  }
}
