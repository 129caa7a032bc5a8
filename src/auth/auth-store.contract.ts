/** The contract every AuthStore adapter passes (run on SQLite and PostgreSQL by auth-store.test.ts). */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthStore } from './auth-store.js';
import type { ApiToken, User } from './types.js';

export type OpenStore = (t: TestContext) => Promise<AuthStore | undefined>;

const token: ApiToken = {
  id: 't1',
  name: 'ci',
  role: 'operator',
  hash: 'h1',
  createdAt: 10,
  expiresAt: 100,
  revokedAt: null,
  bootstrap: false,
  userId: null,
  customer: null,
};
const user = (id: string, email: string, extra: Partial<User> = {}): User => ({
  id,
  email,
  name: email,
  role: 'viewer',
  customer: null,
  source: 'local',
  passwordHash: null,
  subject: null,
  disabled: false,
  createdAt: 1,
  updatedAt: 1,
  lastLoginAt: null,
  ...extra,
});

export function authStoreContract(open: OpenStore): void {
  test('tokens: put, find by hash, list, revoke, personal owner and customer', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.putToken({ ...token, id: 't0', hash: 'h0', bootstrap: true, expiresAt: null, createdAt: 1 });
    await s.putToken(token);
    assert.equal((await s.findTokenByHash('h1'))?.role, 'operator');
    assert.equal((await s.findTokenByHash('h1'))?.expiresAt, 100);
    assert.equal((await s.findTokenByHash('h0'))?.bootstrap, true);
    assert.equal(await s.findTokenByHash('nope'), undefined);
    await s.putToken({ ...token, revokedAt: 50 });
    assert.equal((await s.findTokenByHash('h1'))?.revokedAt, 50);
    await s.putToken({ ...token, id: 't2', hash: 'h2', userId: 'u1', customer: 'acme' });
    assert.deepEqual(
      (await s.listTokens()).map((x) => [x.id, x.userId, x.customer]),
      [
        ['t0', null, null],
        ['t1', null, null],
        ['t2', 'u1', 'acme'],
      ],
    );
    assert.equal(await s.importLegacyTokens(), 0, 'no registry table here, or tokens exist already');
  });

  test('users: e-mail and subject are unique (case-insensitive e-mail); update keeps the id', async (t) => {
    const s = await open(t);
    if (!s) return;
    assert.equal(await s.putUser(user('u1', 'Ann@Example.com', { passwordHash: 'scrypt$x' })), true);
    assert.equal(await s.putUser(user('u2', 'ann@example.com')), false, 'same e-mail, other id');
    assert.equal(await s.putUser(user('u3', 'bob@example.com', { source: 'oidc', subject: 'iss|1' })), true);
    assert.equal(
      await s.putUser(user('u4', 'carl@example.com', { subject: 'iss|1' })),
      false,
      'same subject',
    );
    assert.equal((await s.findUserByEmail('ANN@example.com'))?.id, 'u1');
    assert.equal((await s.findUserBySubject('iss|1'))?.email, 'bob@example.com');
    assert.equal(await s.countUsers(), 2);
    assert.equal(
      await s.putUser(
        user('u1', 'ann@example.com', {
          disabled: true,
          role: 'admin',
          customer: 'acme',
          lastLoginAt: 7,
          passwordHash: 'scrypt$x',
        }),
      ),
      true,
    );
    const u1 = await s.getUser('u1');
    assert.deepEqual(
      [u1?.disabled, u1?.role, u1?.customer, u1?.lastLoginAt, u1?.passwordHash],
      [true, 'admin', 'acme', 7, 'scrypt$x'],
    );
    assert.deepEqual(
      (await s.listUsers()).map((u) => u.id),
      ['u1', 'u3'],
    );
  });

  test('sessions: put, get, touch only forward, delete one or all of a user, sweep idle and expired', async (t) => {
    const s = await open(t);
    if (!s) return;
    const base = { userId: 'u1', csrf: 'c', createdAt: 0, lastSeenAt: 0, expiresAt: 1000, idToken: null };
    await s.putSession({ ...base, hash: 'a' });
    await s.putSession({ ...base, hash: 'b', idToken: 'eyJ.x.y' });
    await s.putSession({ ...base, hash: 'c', userId: 'u2', expiresAt: 100 });
    await s.touchSession('a', 50);
    await s.touchSession('a', 20);
    assert.equal((await s.getSession('a'))?.lastSeenAt, 50);
    assert.equal((await s.getSession('b'))?.idToken, 'eyJ.x.y');
    assert.equal(await s.sweep(100, 10), 2, 'c expired, b idle since 0 < 10');
    assert.equal(await s.getSession('b'), undefined);
    assert.ok(await s.getSession('a'));
    await s.putSession({ ...base, hash: 'd' });
    assert.equal(await s.deleteUserSessions('u1'), 2);
    assert.equal(await s.deleteSession('a'), false);
  });

  test('pending flows: taken once, by kind', async (t) => {
    const s = await open(t);
    if (!s) return;
    await s.putPending({ hash: 'p', kind: 'oidc', data: { nonce: 'n' }, expiresAt: 10 });
    assert.equal(await s.takePending('p', 'link'), undefined, 'wrong kind');
    assert.deepEqual((await s.takePending('p', 'oidc'))?.data, { nonce: 'n' });
    assert.equal(await s.takePending('p', 'oidc'), undefined, 'once');
    await s.putPending({ hash: 'q', kind: 'link', data: {}, expiresAt: 10 });
    const both = await Promise.all([s.takePending('q', 'link'), s.takePending('q', 'link')]);
    assert.equal(both.filter((x) => x !== undefined).length, 1, 'two concurrent takes: one wins');
  });

  test('customers: put, get, list, delete', async (t) => {
    const s = await open(t);
    if (!s) return;
    const c = {
      id: 'acme',
      name: 'ACME',
      devices: ['d1'],
      models: ['boiler'],
      tags: ['site-a'],
      createdAt: 1,
      updatedAt: 1,
    };
    await s.putCustomer(c);
    await s.putCustomer({ ...c, name: 'ACME Ltd', updatedAt: 2 });
    assert.equal((await s.getCustomer('acme'))?.name, 'ACME Ltd');
    assert.deepEqual(
      (await s.listCustomers()).map((x) => x.id),
      ['acme'],
    );
    assert.equal(await s.deleteCustomer('acme'), true);
    assert.equal(await s.getCustomer('acme'), undefined);
  });
}
