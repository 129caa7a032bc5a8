// OpenID Connect sign-in against a real provider (oidc-provider on loopback): code flow with PKCE,
// ID token checks, claims → roles and customers, domains, provisioning, key rotation, expiry, logout.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cookiePair, startAuthHarness, type AuthHarness } from './test-helpers.js';
import {
  Browser,
  signInAtProvider,
  startTestProvider,
  type TestProvider,
} from './oidc-provider.test-support.js';

const PUBLIC = 'http://tsunagu.test:8080';
const REDIRECT = `${PUBLIC}/api/v1/auth/oidc/callback`;

const ACCOUNTS = {
  olga: { email: 'olga@fleet.example', groups: ['fleet-ops'] },
  cleo: { email: 'cleo@acme.example', groups: ['acme-users'] },
  adam: { email: 'adam@fleet.example', groups: ['tsunagu-admins', 'fleet-ops'] },
  nora: { email: 'nora@fleet.example', groups: ['marketing'] },
  eve: { email: 'eve@elsewhere.example', groups: ['fleet-ops'] },
};

async function setup(t: TestContext): Promise<{ op: TestProvider; h: AuthHarness }> {
  const op = await startTestProvider(REDIRECT, `${PUBLIC}/`, ACCOUNTS);
  t.after(() => op.close());
  const h = await startAuthHarness({
    config: { publicUrl: PUBLIC },
    auth: {
      oidc: {
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecret: op.clientSecret,
        scopes: 'openid email profile groups',
        roleMap: { 'tsunagu-admins': 'admin', 'fleet-ops': 'operator', 'acme-users': 'customer:acme' },
        allowedDomains: ['fleet.example', 'acme.example'],
      },
    },
  });
  t.after(() => h.close());
  return { op, h };
}

/** The whole browser round trip: Tsunagu → provider login and consent → Tsunagu callback. */
async function ssoSignIn(op: TestProvider, h: AuthHarness, login: string, browser = new Browser()) {
  const start = await h.call('GET', '/auth/oidc/login');
  assert.equal(start.status, 303);
  const authUrl = String(start.headers.location);
  const flowCookie = ([] as string[])
    .concat(start.headers['set-cookie'] as string[])
    .find((c) => c.startsWith('tsunagu_oidc='))!;
  const u = new URL(authUrl);
  assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(u.searchParams.get('nonce'));
  const back = new URL(await signInAtProvider(browser, authUrl, op.issuer, login));
  assert.equal(back.origin + back.pathname, REDIRECT);
  return h.call('GET', `${back.pathname.replace('/api/v1', '')}${back.search}`, {
    cookie: cookiePair(flowCookie),
  });
}

test('SSO: operator and customer sign in through the provider; claims map to roles; users are provisioned once', async (t) => {
  const { op, h } = await setup(t);
  const r = await ssoSignIn(op, h, 'olga');
  assert.equal(r.status, 303, JSON.stringify(r.body));
  assert.equal(r.headers.location, '/');
  const olga = await h.call('GET', '/auth/session', { cookie: cookiePair(r.cookie!) });
  assert.deepEqual(
    { ...olga.body.principal, id: undefined },
    { id: undefined, name: 'olga@fleet.example', role: 'operator', kind: 'user' },
  );

  const c = await ssoSignIn(op, h, 'cleo');
  const cleo = await h.call('GET', '/auth/session', { cookie: cookiePair(c.cookie!) });
  assert.equal(cleo.body.principal.customer, 'acme');
  assert.equal(cleo.body.principal.role, 'viewer');

  assert.equal(
    (await h.call('GET', '/auth/session', { cookie: cookiePair((await ssoSignIn(op, h, 'adam')).cookie!) }))
      .body.principal.role,
    'admin',
    'highest mapped role wins',
  );
  await ssoSignIn(op, h, 'olga');
  const users = (await h.call('GET', '/users', { headers: h.admin })).body.items as {
    email: string;
    source: string;
    subject: string;
  }[];
  assert.deepEqual(users.map((u) => u.email).sort(), [
    'adam@fleet.example',
    'cleo@acme.example',
    'olga@fleet.example',
  ]);
  assert.ok(users.every((u) => u.source === 'oidc' && u.subject.startsWith(`${op.issuer}|`)));
});

test('SSO refuses: no mapped group, a domain not allowed, a disabled user, a callback from another browser, a replayed callback', async (t) => {
  const { op, h } = await setup(t);
  const nora = await ssoSignIn(op, h, 'nora');
  assert.equal(nora.status, 401);
  assert.match(nora.body.error.message, /no Tsunagu role/);
  const eve = await ssoSignIn(op, h, 'eve');
  assert.equal(eve.status, 401);
  assert.match(eve.body.error.message, /domain not allowed/);

  await ssoSignIn(op, h, 'olga');
  const olgaId = ((await h.call('GET', '/users', { headers: h.admin })).body.items as { id: string }[])[0]!
    .id;
  await h.call('PATCH', `/users/${olgaId}`, { headers: h.admin, body: { disabled: true } });
  assert.equal((await ssoSignIn(op, h, 'olga')).status, 401, 'disabled');
  await h.call('PATCH', `/users/${olgaId}`, { headers: h.admin, body: { disabled: false } });

  // The callback without the browser's flow cookie (login CSRF, a link sent to someone else): refused.
  const start = await h.call('GET', '/auth/oidc/login');
  const back = new URL(
    await signInAtProvider(new Browser(), String(start.headers.location), op.issuer, 'olga'),
  );
  const path = `${back.pathname.replace('/api/v1', '')}${back.search}`;
  assert.equal((await h.call('GET', path)).status, 401);
  // With the cookie it works once; the same callback again is refused (the flow was consumed).
  const flow = cookiePair(
    ([] as string[])
      .concat(start.headers['set-cookie'] as string[])
      .find((c) => c.startsWith('tsunagu_oidc='))!,
  );
  assert.equal((await h.call('GET', path, { cookie: flow })).status, 303);
  assert.equal((await h.call('GET', path, { cookie: flow })).status, 401);
});

test('SSO: the provider rotates its signing key; the next sign-in validates against the new key at once', async (t) => {
  const { op, h } = await setup(t);
  assert.equal((await ssoSignIn(op, h, 'olga')).status, 303);
  const oldKid = op.currentKid();
  op.rotateKeys();
  assert.notEqual(op.currentKid(), oldKid);
  const r = await ssoSignIn(op, h, 'olga');
  assert.equal(r.status, 303, JSON.stringify(r.body));
});

test('SSO session: expires like any session; sign-out returns the provider logout URL (RP-initiated logout) that completes there', async (t) => {
  const { op, h } = await setup(t);
  const browser = new Browser();
  const r = await ssoSignIn(op, h, 'olga', browser);
  const cookie = cookiePair(r.cookie!);
  const me = await h.call('GET', '/auth/session', { cookie });
  const out = await h.call('POST', '/auth/logout', {
    cookie,
    headers: { 'x-csrf-token': me.body.csrfToken },
  });
  assert.equal(out.status, 200);
  const end = new URL(out.body.endSessionUrl);
  assert.equal(end.origin, op.issuer);
  assert.ok(end.searchParams.get('id_token_hint'));
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${PUBLIC}/`);
  // At the provider (same browser, signed in there): its confirmation form, then back to the console.
  const page = await browser.get(end.href);
  const html = await page.text();
  const action = /<form id="op.logoutForm"[^>]*action="([^"]+)"/.exec(html)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(action && xsrf, html.slice(0, 300));
  const done = await browser.post(new URL(action, end).href, { xsrf, logout: 'yes' });
  assert.equal(done.headers.get('location'), `${PUBLIC}/`);
  assert.equal((await h.call('GET', '/auth/session', { cookie })).status, 401, 'signed out here too');

  const again = cookiePair((await ssoSignIn(op, h, 'olga')).cookie!);
  h.clock.advance(13 * 3600_000);
  assert.equal((await h.call('GET', '/auth/session', { cookie: again })).status, 401, 'expired session');
});
