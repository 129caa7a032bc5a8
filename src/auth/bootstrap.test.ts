// Moved from registry/device-auth.test.ts with API tokens (issue 23): assertions unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../store/index.js';
import { createAuth } from './index.js';
import { authContext, MemoryDirectory } from './test-helpers.js';

test('first start without --admin-token prints one generated admin token, once', async () => {
  const db = openSqlite(':memory:');
  const lines: string[] = [];
  const reg = await createAuth(authContext(db), new MemoryDirectory(), { announce: (l) => lines.push(l) });
  const first = lines.find((l) => l.startsWith('tsunagu: first admin API token: '));
  assert.ok(first, lines.join('\n'));
  const secret = first.slice('tsunagu: first admin API token: '.length);
  assert.deepEqual(await reg.tokens.verify(secret), { id: 'admin', name: 'bootstrap admin', role: 'admin' });
  assert.equal(await reg.tokens.verify(secret + 'x'), undefined);
  await reg.stop?.();
  const again: string[] = [];
  const reg2 = await createAuth(authContext(db), new MemoryDirectory(), { announce: (l) => again.push(l) });
  assert.deepEqual(again, [], 'not shown again');
  assert.equal((await reg2.tokens.verify(secret))?.role, 'admin');
  await reg2.stop?.();
  await db.close();
});

test('--admin-token is stored hashed as the bootstrap admin; a new value replaces the old one', async () => {
  const db = openSqlite(':memory:');
  const lines: string[] = [];
  const reg = await createAuth(authContext(db, { adminToken: 'first-secret-value' }), new MemoryDirectory(), {
    announce: (l) => lines.push(l),
  });
  assert.deepEqual(lines, []);
  assert.equal((await reg.tokens.verify('first-secret-value'))?.role, 'admin');
  const row = db.db.prepare('SELECT hash FROM auth_tokens').get() as { hash: string };
  assert.notEqual(row.hash, 'first-secret-value');
  assert.match(row.hash, /^[0-9a-f]{64}$/);
  await reg.stop?.();
  const reg2 = await createAuth(
    authContext(db, { adminToken: 'second-secret-value' }),
    new MemoryDirectory(),
  );
  assert.equal((await reg2.tokens.verify('second-secret-value'))?.role, 'admin');
  assert.equal(await reg2.tokens.verify('first-secret-value'), undefined);
  await reg2.stop?.();
  await db.close();
});

test('tokens of an earlier version (registry_tokens) are carried over once at upgrade', async () => {
  const db = openSqlite(':memory:');
  db.db
    .exec(`CREATE TABLE registry_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT, bootstrap INTEGER NOT NULL)`);
  const { sha256Hex } = await import('./secrets.js');
  db.db
    .prepare('INSERT INTO registry_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run('tok_old', 'ci', 'operator', sha256Hex('old-operator-secret'), 1, null, null, 0);
  const lines: string[] = [];
  const auth = await createAuth(authContext(db), new MemoryDirectory(), { announce: (l) => lines.push(l) });
  assert.deepEqual(await auth.tokens.verify('old-operator-secret'), {
    id: 'tok_old',
    name: 'ci',
    role: 'operator',
  });
  assert.deepEqual(lines, [], 'a token exists, so no new admin token is generated');
  await db.close();
});
