/**
 * Users: local (e-mail + scrypt password) and OIDC-provisioned on first sign-in. A disabled user
 * cannot sign in, their sessions end and their personal tokens stop working.
 */
import type { Clock } from '../core/index.js';
import type { Role } from '../http/index.js';
import type { AuthStore } from './auth-store.js';
import { AuthErrors } from './errors.js';
import { hashPassword, passwordProblem, verifyPassword, type KdfParams } from './passwords.js';
import { newId } from './secrets.js';
import type { SignInLimiter } from './sign-in-limiter.js';
import type { User } from './types.js';

export type UserView = Omit<User, 'passwordHash'> & { hasPassword: boolean };

export const userView = ({ passwordHash, ...rest }: User): UserView => ({
  ...rest,
  hasPassword: passwordHash !== null,
});

export interface NewUser {
  email: string;
  name?: string;
  role: Role;
  customer?: string | null;
  password?: string;
}

/** A fixed hash to verify against when the account does not exist: the answer takes as long either way. */
let dummyHash: Promise<string> | undefined;

export class UserService {
  constructor(
    private readonly store: AuthStore,
    private readonly clock: Clock,
    private readonly limiter: SignInLimiter,
    private readonly kdf?: KdfParams,
  ) {}

  count(): Promise<number> {
    return this.store.countUsers();
  }

  async list(): Promise<UserView[]> {
    return (await this.store.listUsers()).map(userView);
  }

  async get(id: string): Promise<User> {
    const u = await this.store.getUser(id);
    if (!u) throw AuthErrors.userNotFound(id);
    return u;
  }

  async createLocal(n: NewUser): Promise<User> {
    const now = this.clock.now();
    const email = n.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email) && email !== 'admin')
      throw AuthErrors.invalid('body.email', 'must be an e-mail address');
    const user: User = {
      id: newId('usr'),
      email,
      name: n.name ?? email,
      role: n.role,
      customer: n.customer ?? null,
      source: 'local',
      passwordHash: n.password === undefined ? null : await this.hash(n.password, 'body.password'),
      subject: null,
      disabled: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    };
    if (!(await this.store.putUser(user))) throw AuthErrors.conflict(`a user with e-mail ${email} exists`);
    return user;
  }

  async update(
    id: string,
    patch: { name?: string; role?: Role; customer?: string | null; disabled?: boolean },
  ): Promise<{ before: User; after: User }> {
    const before = await this.get(id);
    const after: User = { ...before, ...patch, updatedAt: this.clock.now() };
    await this.store.putUser(after);
    return { before, after };
  }

  async setPassword(id: string, password: string): Promise<User> {
    const u = await this.get(id);
    const after: User = {
      ...u,
      passwordHash: await this.hash(password, 'body.password'),
      updatedAt: this.clock.now(),
    };
    await this.store.putUser(after);
    return after;
  }

  /**
   * Check an e-mail and password. Rate limited per address and per account before any KDF work;
   * unknown, disabled and wrong-password answers are the same error.
   */
  async signIn(email: string, password: string, address: string): Promise<User> {
    const account = email.trim().toLowerCase();
    const wait = this.limiter.wait(address, account);
    if (wait !== undefined)
      throw Object.assign(AuthErrors.rateLimited('too many failed sign-ins; wait before trying again'), {
        retryAfter: wait,
      });
    const u = await this.store.findUserByEmail(account);
    const ok = u?.passwordHash
      ? await verifyPassword(password, u.passwordHash)
      : (await verifyPassword(password, await (dummyHash ??= hashPassword('not-a-password', this.kdf))),
        false);
    if (!u || !ok || u.disabled) {
      this.limiter.fail(address, account);
      throw AuthErrors.badCredentials();
    }
    this.limiter.succeed(account);
    return this.recordLogin(u);
  }

  async recordLogin(u: User): Promise<User> {
    const after = { ...u, lastLoginAt: this.clock.now() };
    await this.store.putUser(after);
    return after;
  }

  /** First OIDC sign-in creates the user; later ones refresh e-mail, name, role and customer from the claims. */
  async provision(
    subject: string,
    claims: { email: string; name: string; role: Role; customer: string | null },
  ): Promise<User> {
    const now = this.clock.now();
    const existing = await this.store.findUserBySubject(subject);
    if (existing?.disabled) throw AuthErrors.oidcFailed('this user is disabled');
    const user: User = existing
      ? { ...existing, ...claims, email: claims.email.toLowerCase(), updatedAt: now, lastLoginAt: now }
      : {
          id: newId('usr'),
          ...claims,
          email: claims.email.toLowerCase(),
          source: 'oidc',
          passwordHash: null,
          subject,
          disabled: false,
          createdAt: now,
          updatedAt: now,
          lastLoginAt: now,
        };
    if (!(await this.store.putUser(user)))
      throw AuthErrors.oidcFailed(`the e-mail ${claims.email} belongs to another user`);
    return user;
  }

  private async hash(password: string, field: string): Promise<string> {
    const problem = passwordProblem(password);
    if (problem) throw AuthErrors.invalid(field, problem);
    return hashPassword(password, this.kdf);
  }
}
