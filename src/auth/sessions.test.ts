// Local users, server-side sessions, CSRF, expiry, sign-out, disabling, personal tokens, the first-admin link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_KDF, hashPassword, verifyPassword } from './passwords.js';
import { cookiePair, startAuthHarness, type AuthHarness } from './test-helpers.js';

const PASSWORD = 'correct horse battery staple';

async function withUser(h: AuthHarness, role = 'operator', email = 'ann@example.com'): Promise<string> {
  const r = await h.call('POST', '/users', { headers: h.admin, body: { email, role, password: PASSWORD } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

async function signIn(
  h: AuthHarness,
  email = 'ann@example.com',
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await h.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { cookie: cookiePair(r.cookie!), csrf: r.body.csrfToken as string, setCookie: r.cookie! };
}

test('local sign-in sets an HttpOnly SameSite cookie; the session answers who I am; CSRF guards changes', async (t) => {
  const h = await startAuthHarness();
  t.after(() => h.close());
  const id = await withUser(h);
  const { cookie, csrf, setCookie } = await signIn(h);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Lax/);
  assert.doesNotMatch(setCookie, /Secure/, 'plain http: no Secure (the browser would drop it)');
  const me = await h.call('GET', '/auth/session', { cookie });
  assert.deepEqual(me.body.principal, { id, name: 'ann@example.com', role: 'operator', kind: 'user' });
  assert.equal(me.body.csrfToken, csrf);
  // A state-changing request with the cookie alone (what a cross-site form would send) is refused.
  const noCsrf = await h.call('POST', '/auth/tokens', {
    cookie,
    body: { name: 'x', role: 'viewer', expiresInSeconds: 3600 },
  });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.body.error.code, 'CSRF_TOKEN_MISSING');
  const wrong = await h.call('POST', '/auth/tokens', {
    cookie,
    headers: { 'x-csrf-token': 'guess' },
    body: { name: 'x', role: 'viewer', expiresInSeconds: 3600 },
  });
  assert.equal(wrong.status, 403);
  const ok = await h.call('POST', '/auth/tokens', {
    cookie,
    headers: { 'x-csrf-token': csrf },
    body: { name: 'x', role: 'viewer', expiresInSeconds: 3600 },
  });
  assert.equal(ok.status, 201);
  // Bearer tokens in the Authorization header are not cookie sessions: no CSRF header needed.
  assert.equal(
    (await h.call('POST', '/tokens', { headers: h.admin, body: { name: 'm', role: 'viewer' } })).status,
    201,
  );
  // Roles apply to people as to tokens: an operator is not an admin.
  assert.equal((await h.call('GET', '/users', { cookie })).status, 403);
});

test('Secure cookies when the public URL is https', async (t) => {
  const h = await startAuthHarness({ config: { publicUrl: 'https://fleet.example.com' } });
  t.after(() => h.close());
  await withUser(h);
  assert.match((await signIn(h)).setCookie, /; Secure/);
});

test('wrong passwords: one answer for unknown and wrong; per-account rate limit, even for the right password; ends after a minute', async (t) => {
  const h = await startAuthHarness();
  t.after(() => h.close());
  await withUser(h);
  const unknown = await h.call('POST', '/auth/login', {
    body: { email: 'nobody@example.com', password: PASSWORD },
  });
  const wrong = await h.call('POST', '/auth/login', {
    body: { email: 'ann@example.com', password: 'not the password' },
  });
  assert.equal(unknown.status, 401);
  assert.deepEqual(unknown.body, wrong.body, 'no account enumeration');
  for (let i = 0; i < 4; i++)
    assert.equal(
      (await h.call('POST', '/auth/login', { body: { email: 'ann@example.com', password: `bad-${i}` } }))
        .status,
      401,
    );
  const limited = await h.call('POST', '/auth/login', {
    body: { email: 'ann@example.com', password: PASSWORD },
  });
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  h.clock.advance(61_000);
  await signIn(h);
});

test('sessions end after idle time and at their absolute age, whatever the activity; sign-out ends them at once', async (t) => {
  const h = await startAuthHarness({ auth: { sessions: { idleMs: 30 * 60_000, maxAgeMs: 4 * 3600_000 } } });
  t.after(() => h.close());
  await withUser(h);
  const idle = await signIn(h);
  h.clock.advance(29 * 60_000);
  assert.equal(
    (await h.call('GET', '/auth/session', { cookie: idle.cookie })).status,
    200,
    'active within idle time',
  );
  h.clock.advance(29 * 60_000);
  assert.equal(
    (await h.call('GET', '/auth/session', { cookie: idle.cookie })).status,
    200,
    'the last request reset the idle clock',
  );
  h.clock.advance(31 * 60_000);
  assert.equal((await h.call('GET', '/auth/session', { cookie: idle.cookie })).status, 401, 'idle too long');

  const busy = await signIn(h);
  for (let i = 0; i < 9; i++) {
    h.clock.advance(25 * 60_000);
    assert.equal((await h.call('GET', '/auth/session', { cookie: busy.cookie })).status, 200);
  }
  h.clock.advance(25 * 60_000); // 4 h 10 min after sign-in, active every 25 min all along
  assert.equal(
    (await h.call('GET', '/auth/session', { cookie: busy.cookie })).status,
    401,
    'absolute expiry',
  );

  const s = await signIn(h);
  const out = await h.call('POST', '/auth/logout', { cookie: s.cookie, headers: { 'x-csrf-token': s.csrf } });
  assert.equal(out.status, 200);
  assert.match(String(out.headers['set-cookie']), /tsunagu_session=; .*Max-Age=0/);
  assert.equal((await h.call('GET', '/auth/session', { cookie: s.cookie })).status, 401);
});

test('personal tokens: role no higher than mine, must expire, die with expiry and when I am disabled', async (t) => {
  const h = await startAuthHarness();
  t.after(() => h.close());
  const id = await withUser(h, 'operator');
  const s = await signIn(h);
  const make = (role: string, extra: object = { expiresInSeconds: 3600 }) =>
    h.call('POST', '/auth/tokens', {
      cookie: s.cookie,
      headers: { 'x-csrf-token': s.csrf },
      body: { name: role, role, ...extra },
    });
  const tooHigh = await make('admin');
  assert.equal(tooHigh.status, 422);
  assert.equal(tooHigh.body.error.field, 'body.role');
  assert.equal((await make('viewer', {})).status, 422, 'an expiry is required');
  const op = await make('operator');
  assert.equal(op.status, 201);
  assert.equal(op.body.token.userId, id);
  const bearer = { authorization: `Bearer ${op.body.secret}` };
  assert.deepEqual((await h.call('GET', '/auth/session', { headers: bearer })).body.principal, {
    id: op.body.token.id,
    name: 'operator',
    role: 'operator',
    kind: 'token',
  });
  assert.deepEqual(
    (await h.call('GET', '/auth/tokens', { cookie: s.cookie })).body.items.map((x: { id: string }) => x.id),
    [op.body.token.id],
  );
  // Disabling the user ends the session and the token at once (audited).
  assert.equal(
    (await h.call('PATCH', `/users/${id}`, { headers: h.admin, body: { disabled: true } })).status,
    200,
  );
  assert.equal((await h.call('GET', '/auth/session', { headers: bearer })).status, 401);
  assert.equal((await h.call('GET', '/auth/session', { cookie: s.cookie })).status, 401);
  assert.equal(
    (await h.call('POST', '/auth/login', { body: { email: 'ann@example.com', password: PASSWORD } })).status,
    401,
  );
  await h.call('PATCH', `/users/${id}`, { headers: h.admin, body: { disabled: false } });
  assert.equal((await h.call('GET', '/auth/session', { headers: bearer })).status, 200, 'enabled again');
  h.clock.advance(3601_000);
  assert.equal((await h.call('GET', '/auth/session', { headers: bearer })).status, 401, 'expired');
});

test('first start without users or --admin-token prints a one-time admin sign-in link', async (t) => {
  const h = await startAuthHarness({ config: { adminToken: undefined } });
  t.after(() => h.close());
  await h.auth.announceSignInLink('http://localhost:8080');
  const line = h.lines.find((l) => l.includes('/api/v1/auth/link/'));
  assert.ok(line, h.lines.join('\n'));
  const path = new URL(line.slice(line.indexOf('http'))).pathname.replace('/api/v1', '');
  const r = await h.call('GET', path);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  const me = await h.call('GET', '/auth/session', { cookie: cookiePair(r.cookie!) });
  assert.equal(me.body.principal.role, 'admin');
  assert.equal((await h.call('GET', path)).status, 401, 'once');
  const before = h.lines.length;
  await h.auth.announceSignInLink('http://localhost:8080');
  assert.equal(h.lines.length, before, 'a user exists now: no new link');
});

test('passwords: scrypt with OWASP parameters by default; the stored form names them', async () => {
  const stored = await hashPassword(PASSWORD);
  assert.match(stored, new RegExp(`^scrypt\\$${DEFAULT_KDF.N}\\$8\\$1\\$`));
  assert.equal(DEFAULT_KDF.N >= 2 ** 17, true);
  assert.equal(await verifyPassword(PASSWORD, stored), true);
  assert.equal(await verifyPassword(PASSWORD + ' ', stored), false);
});
