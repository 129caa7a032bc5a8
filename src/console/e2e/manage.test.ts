/**
 * Management in the console, in Debian's chromium (playwright-core) against a real platform:
 * a model (a field error from the API beside its field, then units), a device whose password is
 * shown once (and works over MQTT; after a reload it is gone), a webhook channel and route with
 * "Send a test message" to a receiver this test runs, an API token created and revoked, a named
 * shadow's desired state, the out-of-service command policy in the command form, and a viewer
 * who sees none of the management controls. Screenshots go to .test-artifacts/console/manage-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { api } from '../../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../../test-support/platform.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  consoleSignIn,
  ensureConsoleBuilt,
  launchBrowser,
} from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };

/** A webhook receiver on a free loopback port that records what it is sent. */
async function receiver(): Promise<{
  url: string;
  got: { headers: IncomingHttpHeaders; body: string }[];
  close: () => Promise<void>;
}> {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const bearer = (p: TestPlatform, token: string, url: string) =>
  p.app.http.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

test('console management: models, devices and their secret, channels, tokens, named shadows', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return;
  }
  ensureConsoleBuilt();
  const p = await startTestPlatform();
  t.after(() => p.close());
  const hook = await receiver();
  t.after(() => hook.close());
  const browser: Browser = await launchBrowser();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: p.httpUrl });
  const page = await context.newPage();
  const shot = (pg: Page, name: string) =>
    pg.screenshot({ path: join(ARTIFACTS, `manage-${name}.png`), fullPage: true });
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

  await consoleSignIn(page, p);

  await t.test('a model: the API’s validation error beside its field, then created with units', async () => {
    await nav('Models');
    await page.getByText('No model yet').waitFor(WAIT);
    await page.getByRole('button', { name: 'New model' }).click();
    const form = page.getByRole('form', { name: 'New model' });
    await form.getByLabel('Name', { exact: true }).fill('scooter');
    await form.getByLabel('Heartbeat interval (s)').fill('0.5'); // 500 ms: below the API's minimum
    await form.getByLabel('Commands while out of service').selectOption('refuse');
    await form.getByRole('button', { name: 'Add field' }).click();
    await form.getByLabel('Key').fill('battery');
    await form.getByLabel('Unit').fill('%');
    await form.getByLabel('Label', { exact: true }).fill('Battery');
    await form.getByRole('button', { name: 'Create model' }).click();
    const fieldError = page.locator('#f-heartbeat-intervalMs-err');
    await fieldError.waitFor(WAIT);
    assert.match(await fieldError.innerText(), /intervalMs/);
    assert.equal(await form.getByLabel('Heartbeat interval (s)').getAttribute('aria-invalid'), 'true');
    await shot(page, 'model-field-error');
    await form.getByLabel('Heartbeat interval (s)').fill('60');
    await form.getByRole('button', { name: 'Create model' }).click();
    await page.getByTestId('models').getByText('battery (%)').waitFor(WAIT);
    const m = await api(p, 'GET', '/device-models/scooter');
    assert.equal(m.body.heartbeat.intervalMs, 60_000);
    assert.equal(m.body.outOfServiceCommands, 'refuse');
    assert.deepEqual(m.body.fields, [{ key: 'battery', unit: '%', label: 'Battery' }]);
    await shot(page, 'models');
  });

  let secret = '';
  await t.test(
    'a device: its password is shown once, works over MQTT, and is gone after a reload',
    async () => {
      await nav('Devices');
      await page.getByRole('link', { name: 'New device' }).click();
      const form = page.getByRole('form', { name: 'New device' });
      await form.getByLabel('Device id (the MQTT client id)').fill('scooter-1');
      await form.getByLabel('Name', { exact: true }).fill('Scooter one');
      await form.getByLabel('Model').selectOption('scooter');
      await form.getByLabel('Tags (comma-separated)').fill('berlin, fleet-a');
      await form.getByLabel('Attributes (JSON object)').fill('{"site": "depot-3"}');
      await form.getByRole('button', { name: 'Create device' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor(WAIT);
      secret = await dialog.getByTestId('one-time-secret').inputValue();
      assert.ok(secret.length >= 16, 'a generated secret is shown');
      await dialog.getByRole('button', { name: 'Copy' }).click();
      await dialog.getByRole('button', { name: 'Copied' }).waitFor(WAIT);
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
      await shot(page, 'device-secret-once');
      await dialog.getByRole('button', { name: /I have stored it/ }).click();
      await page.getByRole('heading', { name: /Scooter one/ }).waitFor(WAIT);

      const device = await mqtt.connectAsync(p.mqttUrl, {
        clientId: 'scooter-1',
        username: 'scooter-1',
        password: secret,
        reconnectPeriod: 0,
      });
      await device.endAsync();

      await page.reload();
      await page.getByRole('heading', { name: /Scooter one/ }).waitFor(WAIT);
      assert.equal(await page.getByTestId('one-time-secret').count(), 0);
      assert.equal(await page.getByText(secret).count(), 0, 'the secret is nowhere on the page');
      const d = await api(p, 'GET', '/devices/scooter-1');
      assert.deepEqual(d.body.tags, ['berlin', 'fleet-a']);
      assert.equal(d.body.attributes.site, 'depot-3');

      // Settings: the credential is listed without its secret; rotating shows a new one once.
      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.getByTestId('credentials').getByText('active').waitFor(WAIT);
      await page.getByRole('button', { name: 'Rotate' }).click();
      const rotated = page.getByRole('dialog');
      await rotated.waitFor(WAIT);
      const next = await rotated.getByTestId('one-time-secret').inputValue();
      assert.notEqual(next, secret);
      await rotated.getByRole('button', { name: /I have stored it/ }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden', ...WAIT });
      await shot(page, 'device-settings');
    },
  );

  await t.test('units from the model in the latest values', async () => {
    assert.equal(
      (await api(p, 'POST', '/devices/scooter-1/telemetry', { battery: 81, firmware: '1.4.2' })).status < 300,
      true,
    );
    await page.getByRole('tab', { name: 'Telemetry' }).click();
    const latest = page.getByTestId('latest-values');
    await latest
      .getByRole('row', { name: /Battery/ })
      .getByText('81 %')
      .waitFor(WAIT);
    await latest.getByText('1.4.2').waitFor(WAIT);
    await shot(page, 'telemetry-units');
  });

  await t.test('a channel and a route; a test message reaches the receiver', async () => {
    await nav('Notifications');
    await page.getByText('No channel yet').waitFor(WAIT);
    await page.getByRole('button', { name: 'New channel' }).click();
    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Name', { exact: true }).fill('ops hook');
    await form.getByLabel('URL').fill(hook.url);
    await form.getByLabel('Signing secret').fill('whsec-e2e-0123456789');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await page.getByTestId('channels').getByText('ops hook').waitFor(WAIT);

    await page.getByRole('button', { name: 'New route' }).click();
    const rf = page.getByRole('form', { name: 'New route' });
    await rf.getByLabel('Name', { exact: true }).fill('scooters out of service');
    await rf.getByLabel('ops hook').check();
    await rf.getByLabel('service-state.changed').check();
    await rf.getByLabel('Models (comma-separated; empty: all)').fill('scooter');
    await rf.getByRole('button', { name: 'Create route' }).click();
    await page.getByTestId('routes').getByText('scooters out of service').waitFor(WAIT);

    await page.getByRole('button', { name: 'Send a test message' }).click();
    await page.getByTestId('test-result').filter({ hasText: 'Delivered (HTTP 200)' }).waitFor(WAIT);
    assert.equal(hook.got.length, 1);
    assert.match(hook.got[0]!.body, /Test message for channel \\"ops hook\\"/);
    assert.ok(hook.got[0]!.headers['x-tsunagu-signature'], 'signed with the channel secret');
    const routes = await api(p, 'GET', '/notification-routes');
    assert.deepEqual(routes.body[0].kinds, ['service-state.changed']);
    assert.deepEqual(routes.body[0].models, ['scooter']);
    await shot(page, 'notifications');
  });

  await t.test('an API token: shown once, works, then revoked', async () => {
    await nav('API tokens');
    await page.getByLabel('Name', { exact: true }).fill('ci-deploy');
    await page.getByLabel('Role').selectOption('operator');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor(WAIT);
    const token = await dialog.getByTestId('one-time-secret').inputValue();
    await shot(page, 'token-once');
    await dialog.getByRole('button', { name: /I have stored it/ }).click();
    assert.equal((await bearer(p, token, '/devices')).statusCode, 200);
    const row = page.getByTestId('tokens').getByRole('row', { name: /ci-deploy/ });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await row.getByText('revoked').waitFor(WAIT);
    assert.equal((await bearer(p, token, '/devices')).statusCode, 401);
    await page.reload();
    await page.getByTestId('tokens').waitFor(WAIT);
    assert.equal(await page.getByText(token).count(), 0);
    await shot(page, 'tokens');
  });

  await t.test('a named shadow: listed beside the classic one, desired state edited', async () => {
    await page.goto(`${p.httpUrl}/devices/scooter-1`);
    await page.getByRole('tab', { name: 'Shadow' }).click();
    await page.getByLabel('New named shadow').fill('config');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: /Shadow "config"/ }).waitFor(WAIT);
    await page.getByLabel(/Change desired state/).fill('{"maxSpeed": 20}');
    await page.getByRole('button', { name: 'Update desired' }).click();
    await page.getByTestId('shadow-desired').filter({ hasText: '"maxSpeed": 20' }).waitFor(WAIT);
    const named = await api(p, 'GET', '/devices/scooter-1/shadows/config');
    assert.equal(named.body.state.desired.maxSpeed, 20);
    const classic = await api(p, 'GET', '/devices/scooter-1/shadow');
    assert.equal(classic.status, 404, 'the classic shadow is untouched');
    const options = await page.getByTestId('shadow-name').locator('option').allInnerTexts();
    assert.deepEqual(options, ['classic (unnamed)', 'config']);
    await shot(page, 'named-shadow');
  });

  await t.test('the command form shows the out-of-service refusal and warning', async () => {
    const s = await api(p, 'PUT', '/devices/scooter-1/service-state', {
      state: 'out_of_service',
      note: 'lock jammed',
      reason: 'lock_jam',
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    await page.reload();
    await page.getByRole('tab', { name: 'Commands' }).click();
    await page.getByRole('button', { name: 'Send' }).click();
    const refused = page.getByTestId('command-refused');
    await refused.waitFor(WAIT);
    assert.match(await refused.innerText(), /out of service \(manual:lock_jam\)/);
    await shot(page, 'command-refused');
    // The model's policy changed to warn: the command goes out (here: rejected, the device is
    // offline) and the form shows the warning beside the outcome.
    const put = await api(p, 'PUT', '/device-models/scooter', { outOfServiceCommands: 'warn' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await page.getByRole('button', { name: 'Send' }).click();
    const warning = page.getByTestId('command-warning');
    await warning.waitFor(WAIT);
    assert.match(
      await warning.innerText(),
      /out of service \(manual:lock_jam\); the command was sent anyway/,
    );
    await page.getByTestId('command-outcome').getByText('rejected').waitFor(WAIT);
    assert.equal(await page.getByTestId('command-refused').count(), 0);
    await shot(page, 'command-warning');
  });

  await t.test('a viewer sees no management controls', async () => {
    const vc = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const vp = await vc.newPage();
    await consoleSignIn(vp, p, 'viewer@e2e.test', 'viewer');
    const vnav = vp.getByRole('navigation', { name: 'Main' });
    assert.equal(await vnav.getByRole('link', { name: 'API tokens' }).count(), 0);
    await vnav.getByRole('link', { name: 'Models' }).click();
    await vp.getByTestId('models').getByText('scooter').waitFor(WAIT);
    assert.equal(await vp.getByRole('button', { name: 'New model' }).count(), 0);
    assert.equal(await vp.getByRole('button', { name: /Edit/ }).count(), 0);
    await vnav.getByRole('link', { name: 'Devices' }).click();
    await vp.getByRole('heading', { name: 'Devices' }).waitFor(WAIT);
    assert.equal(await vp.getByRole('link', { name: 'New device' }).count(), 0);
    await vp.goto(`${p.httpUrl}/devices/scooter-1`);
    await vp.getByRole('tab', { name: 'Status' }).waitFor(WAIT);
    assert.equal(await vp.getByRole('tab', { name: 'Settings' }).count(), 0);
    await vnav.getByRole('link', { name: 'Notifications' }).click();
    await vp.getByTestId('channels').getByText('ops hook').waitFor(WAIT);
    assert.equal(await vp.getByRole('button', { name: 'Send a test message' }).count(), 0);
    await vp.goto(`${p.httpUrl}/tokens`);
    await vp.getByText('Nothing here').waitFor(WAIT);
    await shot(vp, 'viewer');
    await vc.close();
  });
});
