/**
 * Single sign-on in a real browser (Debian's Chromium via playwright-core) against a real OpenID
 * provider (oidc-provider on loopback) and the whole platform: an operator signs in through the
 * provider's login and consent pages and lands in the console; signing out goes through the
 * provider's logout page (RP-initiated) back to the sign-in page; a customer's user lands seeing
 * only the customer's devices (another customer's device page is "not found"); and an expired
 * session sends the browser back to sign-in. Screenshots go to .test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { defaultConfig, ManualClock } from '../core/index.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  ensureConsoleBuilt,
  launchBrowser,
} from '../test-support/browser.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { freePort } from '../test-support/ports.js';
import { startTestProvider } from './oidc-provider.test-support.js';

const WAIT = { timeout: 30_000 };
const ACCOUNTS = {
  olga: { email: 'olga@fleet.example', groups: ['fleet-ops'] },
  cleo: { email: 'cleo@acme.example', groups: ['acme-users'] },
  nora: { email: 'nora@fleet.example', groups: ['marketing'] },
};

async function admin(p: TestPlatform, method: 'POST' | 'PUT', url: string, payload: object): Promise<void> {
  const r = await p.app.http.inject({ method, url: `/api/v1${url}`, headers: p.auth, payload });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
}

/** From the console's sign-in page through the provider's login and consent pages, back to the console. */
async function ssoSignIn(page: Page, consoleUrl: string, issuer: string, login: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.waitForURL((u) => u.href.startsWith(issuer), WAIT);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click(WAIT);
  await page.getByRole('navigation', { name: 'Main' }).waitFor(WAIT);
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

test('SSO in Chromium: operator and customer sign in at the provider; sign-out at the provider; expired session', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}; set TSUNAGU_CHROMIUM or install Debian's chromium`);
    return;
  }
  ensureConsoleBuilt();
  // The provider must know Tsunagu's redirect URL before either starts: Tsunagu's port is chosen first.
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const op = await startTestProvider(`${publicUrl}/api/v1/auth/oidc/callback`, `${publicUrl}/`, ACCOUNTS);
  t.after(() => op.close());
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-sso-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = join(dir, 'oidc-secret');
  writeFileSync(secretFile, op.clientSecret, { mode: 0o600 });
  // Session deadlines follow the platform clock: moving it past the idle limit expires the session.
  const clock = new ManualClock(Date.now());
  const p = await startTestPlatform(
    {
      httpPort: port,
      publicUrl,
      oidc: {
        ...defaultConfig().oidc,
        issuer: op.issuer,
        clientId: op.clientId,
        clientSecretFile: secretFile,
        scopes: 'openid email profile groups',
        roleMap: 'fleet-ops=operator,acme-users=customer:acme',
        allowedDomains: 'fleet.example,acme.example',
      },
    },
    { clock },
  );
  t.after(() => p.close());

  await admin(p, 'POST', '/device-models', { name: 'boiler' });
  for (const [id, tags] of [
    ['boiler-a1', []],
    ['boiler-a2', ['site-acme']],
    ['boiler-g1', ['site-globex']],
  ] as const)
    await admin(p, 'POST', '/devices', { id, name: `Boiler ${id.slice(-2)}`, model: 'boiler', tags });
  await admin(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['boiler-a1'], tags: ['site-acme'] });
  await admin(p, 'PUT', '/customers/globex', { name: 'Globex', tags: ['site-globex'] });

  const browser = await launchBrowser();
  t.after(() => browser.close());

  // The operator: through the provider's pages into the console, seeing the whole fleet.
  const opCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await opCtx.newPage();
  await page.goto(publicUrl);
  await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor(WAIT);
  await shot(page, 'sso-01-sign-in');
  await ssoSignIn(page, publicUrl, op.issuer, 'olga');
  await page.getByTestId('signed-in-as').filter({ hasText: 'olga@fleet.example · operator' }).waitFor(WAIT);
  await page.getByRole('link', { name: 'Fleet' }).waitFor(WAIT);
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByTestId('device-total').filter({ hasText: '3 devices' }).waitFor(WAIT);
  await shot(page, 'sso-02-operator-devices');
  // The session cookie is HttpOnly (the page's scripts cannot read it) and SameSite=Lax.
  const cookie = (await opCtx.cookies()).find((c) => c.name === 'tsunagu_session');
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, 'Lax');

  // Sign-out ends the session here and at the provider (its logout page), then back to sign-in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.href.startsWith(op.issuer), WAIT);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor(WAIT);
  assert.equal(new URL(page.url()).origin, publicUrl);
  assert.equal(await page.evaluate(() => fetch('/api/v1/auth/session').then((r) => r.status)), 401);
  // Signed out at the provider too: SSO asks for the login again.
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.locator('input[name=login]').waitFor(WAIT);
  await opCtx.close();

  // The customer's user: only ACME's devices, and Globex's device page is "not found".
  const custCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const cp = await custCtx.newPage();
  await ssoSignIn(cp, publicUrl, op.issuer, 'cleo');
  await cp.getByTestId('signed-in-as').filter({ hasText: 'cleo@acme.example · customer acme' }).waitFor(WAIT);
  await cp.getByTestId('device-total').filter({ hasText: '2 devices' }).waitFor(WAIT);
  await cp.getByRole('cell', { name: 'boiler-a1' }).waitFor(WAIT);
  await cp.getByRole('cell', { name: 'boiler-a2' }).waitFor(WAIT);
  assert.equal(await cp.getByRole('cell', { name: 'boiler-g1' }).count(), 0, "Globex's device is not listed");
  assert.equal(await cp.getByRole('link', { name: 'Fleet' }).count(), 0, 'no fleet views for customers');
  await shot(cp, 'sso-03-customer-devices');
  await cp.getByRole('row', { name: /boiler-a2/ }).click();
  await cp.getByRole('heading', { name: /Boiler a2/ }).waitFor(WAIT);
  await cp.getByTestId('service-state').waitFor(WAIT);
  await shot(cp, 'sso-04-customer-device');
  await cp.goto(`${publicUrl}/devices/boiler-g1`);
  await cp.getByRole('heading', { name: 'No such device' }).waitFor(WAIT); // a 404, as for an id that does not exist
  assert.equal(await cp.getByRole('heading', { name: /Boiler g1/ }).count(), 0);
  await shot(cp, 'sso-05-customer-other-device');

  // Idle past the session's limit (2 h): the next request answers 401 and the console asks to sign in.
  await cp.getByRole('link', { name: 'Devices' }).click();
  await cp.getByTestId('device-total').filter({ hasText: '2 devices' }).waitFor(WAIT);
  clock.advance(2 * 3600_000 + 1000);
  await cp.getByRole('row', { name: /boiler-a1/ }).click();
  await cp.getByText('Your session has ended; sign in again.').waitFor(WAIT);
  await cp.getByRole('link', { name: 'Sign in with SSO' }).waitFor(WAIT);
  await shot(cp, 'sso-06-session-expired');
  await custCtx.close();

  // Someone whose groups map to no role is refused: back on the sign-in page, told why.
  const noraCtx = await browser.newContext();
  const np = await noraCtx.newPage();
  await np.goto(publicUrl);
  await np.getByRole('link', { name: 'Sign in with SSO' }).click();
  await np.locator('input[name=login]').fill('nora');
  await np.locator('input[name=password]').fill('any password');
  await np.getByRole('button', { name: 'Sign-in' }).click();
  await np.getByRole('button', { name: 'Continue' }).click(WAIT);
  await np.getByText(/single sign-on failed: no Tsunagu role in claim "groups"/).waitFor(WAIT);
  assert.equal(await np.getByRole('navigation', { name: 'Main' }).count(), 0);
  assert.equal(new URL(np.url()).search, '', 'the reason is not left in the address bar');
  await shot(np, 'sso-07-refused');
  await noraCtx.close();
});
