/**
 * What auth/ persists, behind one interface with two adapters (SQLite, PostgreSQL) that pass one
 * contract suite (`auth-store.contract.ts`). The SQL runner differs per adapter; every mapping and
 * rule lives once, here, in `authStoreOn(sql)`.
 */
import type { Migration } from '../store/index.js';
import type { Role } from '../http/index.js';
import type { ApiToken, Customer, Pending, Session, User, UserSource } from './types.js';

export interface AuthStore {
  listTokens(): Promise<ApiToken[]>;
  putToken(t: ApiToken): Promise<void>;
  findTokenByHash(hash: string): Promise<ApiToken | undefined>;
  /** Copy tokens from the registry's table of earlier versions, once (auth_tokens empty). */
  importLegacyTokens(): Promise<number>;

  countUsers(): Promise<number>;
  listUsers(): Promise<User[]>;
  getUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUserBySubject(subject: string): Promise<User | undefined>;
  /** Insert or update; a second user with the same e-mail or subject is a conflict (false). */
  putUser(u: User): Promise<boolean>;

  putSession(s: Session): Promise<void>;
  getSession(hash: string): Promise<Session | undefined>;
  touchSession(hash: string, at: number): Promise<void>;
  deleteSession(hash: string): Promise<boolean>;
  deleteUserSessions(userId: string): Promise<number>;
  /** Remove sessions and pending flows past their expiry. */
  sweep(now: number, idleBefore: number): Promise<number>;

  putPending(p: Pending): Promise<void>;
  /** Read and delete in one step: a one-time flow can be completed once. */
  takePending(hash: string, kind: Pending['kind']): Promise<Pending | undefined>;

  listCustomers(): Promise<Customer[]>;
  getCustomer(id: string): Promise<Customer | undefined>;
  putCustomer(c: Customer): Promise<void>;
  deleteCustomer(id: string): Promise<boolean>;
}

/** The adapter-specific part: run SQL written with `?` placeholders. */
export interface Sql {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  tableExists(name: string): Promise<boolean>;
}

const tables = (autoText: string): string => `
CREATE TABLE auth_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  bootstrap INTEGER NOT NULL,
  user_id TEXT,
  customer TEXT
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);
CREATE TABLE auth_users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  customer TEXT,
  source TEXT NOT NULL,
  password_hash TEXT,
  subject TEXT UNIQUE,
  disabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_login_at BIGINT
);
CREATE TABLE auth_sessions (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  id_token ${autoText}
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
CREATE TABLE auth_pending (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE auth_customers (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
`;

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'tokens, users, sessions, pending flows, customers',
    sqlite: tables('TEXT'),
    postgres: tables('TEXT'),
  },
];

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const toToken = (r: Row): ApiToken => ({
  id: String(r.id),
  name: String(r.name),
  role: r.role as Role,
  hash: String(r.hash),
  createdAt: num(r.created_at),
  expiresAt: numOrNull(r.expires_at),
  revokedAt: numOrNull(r.revoked_at),
  bootstrap: num(r.bootstrap) === 1,
  userId: strOrNull(r.user_id),
  customer: strOrNull(r.customer),
});

const toUser = (r: Row): User => ({
  id: String(r.id),
  email: String(r.email),
  name: String(r.name),
  role: r.role as Role,
  customer: strOrNull(r.customer),
  source: r.source as UserSource,
  passwordHash: strOrNull(r.password_hash),
  subject: strOrNull(r.subject),
  disabled: num(r.disabled) === 1,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  lastLoginAt: numOrNull(r.last_login_at),
});

const toSession = (r: Row): Session => ({
  hash: String(r.hash),
  userId: String(r.user_id),
  csrf: String(r.csrf),
  createdAt: num(r.created_at),
  lastSeenAt: num(r.last_seen_at),
  expiresAt: num(r.expires_at),
  idToken: strOrNull(r.id_token),
});

const TOKEN_UPSERT = `INSERT INTO auth_tokens (id, name, role, hash, created_at, expires_at, revoked_at, bootstrap, user_id, customer)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, hash = excluded.hash,
    expires_at = excluded.expires_at, revoked_at = excluded.revoked_at, bootstrap = excluded.bootstrap,
    user_id = excluded.user_id, customer = excluded.customer`;

const USER_UPSERT = `INSERT INTO auth_users (id, email, name, role, customer, source, password_hash, subject, disabled, created_at, updated_at, last_login_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role,
    customer = excluded.customer, password_hash = excluded.password_hash, subject = excluded.subject,
    disabled = excluded.disabled, updated_at = excluded.updated_at, last_login_at = excluded.last_login_at`;

/** Unique-constraint violations on both engines (SQLite: SQLITE_CONSTRAINT_UNIQUE, PostgreSQL: 23505). */
const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
};

export function authStoreOn(sql: Sql): AuthStore {
  const one = async <T>(q: string, params: unknown[], map: (r: Row) => T): Promise<T | undefined> => {
    const rows = await sql.all<Row>(q, params);
    return rows[0] === undefined ? undefined : map(rows[0]);
  };
  return {
    listTokens: async () =>
      (await sql.all<Row>('SELECT * FROM auth_tokens ORDER BY created_at, id')).map(toToken),
    async putToken(t) {
      await sql.run(TOKEN_UPSERT, [
        t.id,
        t.name,
        t.role,
        t.hash,
        t.createdAt,
        t.expiresAt,
        t.revokedAt,
        t.bootstrap ? 1 : 0,
        t.userId,
        t.customer,
      ]);
    },
    findTokenByHash: (hash) => one('SELECT * FROM auth_tokens WHERE hash = ?', [hash], toToken),
    async importLegacyTokens() {
      if (!(await sql.tableExists('registry_tokens'))) return 0;
      const [count] = await sql.all<{ n: unknown }>('SELECT count(*) AS n FROM auth_tokens');
      if (Number(count?.n) > 0) return 0;
      return sql.run(
        `INSERT INTO auth_tokens (id, name, role, hash, created_at, expires_at, revoked_at, bootstrap, user_id, customer)
         SELECT id, name, role, hash, created_at, expires_at, revoked_at, bootstrap, NULL, NULL FROM registry_tokens`,
      );
    },

    async countUsers() {
      const [r] = await sql.all<{ n: unknown }>('SELECT count(*) AS n FROM auth_users');
      return Number(r?.n ?? 0);
    },
    listUsers: async () =>
      (await sql.all<Row>('SELECT * FROM auth_users ORDER BY created_at, id')).map(toUser),
    getUser: (id) => one('SELECT * FROM auth_users WHERE id = ?', [id], toUser),
    findUserByEmail: (email) =>
      one('SELECT * FROM auth_users WHERE email = ?', [email.toLowerCase()], toUser),
    findUserBySubject: (subject) => one('SELECT * FROM auth_users WHERE subject = ?', [subject], toUser),
    async putUser(u) {
      try {
        await sql.run(USER_UPSERT, [
          u.id,
          u.email.toLowerCase(),
          u.name,
          u.role,
          u.customer,
          u.source,
          u.passwordHash,
          u.subject,
          u.disabled ? 1 : 0,
          u.createdAt,
          u.updatedAt,
          u.lastLoginAt,
        ]);
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async putSession(s) {
      await sql.run(
        'INSERT INTO auth_sessions (hash, user_id, csrf, created_at, last_seen_at, expires_at, id_token) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [s.hash, s.userId, s.csrf, s.createdAt, s.lastSeenAt, s.expiresAt, s.idToken],
      );
    },
    getSession: (hash) => one('SELECT * FROM auth_sessions WHERE hash = ?', [hash], toSession),
    async touchSession(hash, at) {
      await sql.run('UPDATE auth_sessions SET last_seen_at = ? WHERE hash = ? AND last_seen_at < ?', [
        at,
        hash,
        at,
      ]);
    },
    deleteSession: async (hash) => (await sql.run('DELETE FROM auth_sessions WHERE hash = ?', [hash])) > 0,
    deleteUserSessions: (userId) => sql.run('DELETE FROM auth_sessions WHERE user_id = ?', [userId]),
    async sweep(now, idleBefore) {
      const s = await sql.run('DELETE FROM auth_sessions WHERE expires_at <= ? OR last_seen_at < ?', [
        now,
        idleBefore,
      ]);
      const p = await sql.run('DELETE FROM auth_pending WHERE expires_at <= ?', [now]);
      return s + p;
    },

    async putPending(p) {
      await sql.run('INSERT INTO auth_pending (hash, kind, data, expires_at) VALUES (?, ?, ?, ?)', [
        p.hash,
        p.kind,
        JSON.stringify(p.data),
        p.expiresAt,
      ]);
    },
    async takePending(hash, kind) {
      const p = await one('SELECT * FROM auth_pending WHERE hash = ? AND kind = ?', [hash, kind], (r) => ({
        hash: String(r.hash),
        kind: r.kind as Pending['kind'],
        data: JSON.parse(String(r.data)) as Record<string, unknown>,
        expiresAt: num(r.expires_at),
      }));
      // Whoever deletes the row owns the flow: two concurrent completions cannot both succeed.
      if (!p || (await sql.run('DELETE FROM auth_pending WHERE hash = ?', [hash])) === 0) return undefined;
      return p;
    },

    listCustomers: async () =>
      (await sql.all<{ body: string }>('SELECT body FROM auth_customers ORDER BY created_at, id')).map(
        (r) => JSON.parse(r.body) as Customer,
      ),
    getCustomer: (id) =>
      one(
        'SELECT body FROM auth_customers WHERE id = ?',
        [id],
        (r) => JSON.parse(String(r.body)) as Customer,
      ),
    async putCustomer(c) {
      await sql.run(
        'INSERT INTO auth_customers (id, body, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body',
        [c.id, JSON.stringify(c), c.createdAt],
      );
    },
    deleteCustomer: async (id) => (await sql.run('DELETE FROM auth_customers WHERE id = ?', [id])) > 0,
  };
}
