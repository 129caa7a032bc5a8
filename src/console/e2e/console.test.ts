/**
 * The web console in a real browser (Debian's chromium via playwright-core) against a real platform
 * and real mqtt.js devices: sign in, watch the fleet overview change when a device goes silent, edit
 * desired state, send an unlock, take a device out of service, open an SLO, and check a viewer cannot
 * edit. Screenshots of each page go to .test-artifacts/console/. The test waits for outcomes with
 * generous timeouts and never asserts durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../../test-support/platform.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  ensureConsoleBuilt,
  launchBrowser,
} from '../../test-support/browser.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;
const WAIT = { timeout: 30_000 };

async function api(
  p: TestPlatform,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: Json,
): Promise<Json> {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload ? { payload } : {}),
  });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as Json;
}

/** A lock that heartbeats every 250 ms and answers `unlock` on devices/{id}/commands/unlock/reply. */
async function lock(p: TestPlatform, id: string): Promise<{ client: MqttClient; silence: () => void }> {
  const cred = await api(p, 'POST', `/devices/${id}/credentials`, {});
  const client = await mqtt.connectAsync(p.mqttUrl, {
    clientId: id,
    username: id,
    password: cred.secret as string,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  client.on('message', (topic, payload) => {
    const cmd = JSON.parse(payload.toString()) as Json;
    if (topic === `devices/${id}/commands/unlock`)
      void client
        .publishAsync(
          `${topic}/reply`,
          JSON.stringify({ id: cmd.id, status: 'ok', result: { locked: false } }),
          { qos: 1 },
        )
        .catch(() => undefined);
  });
  await client.subscribeAsync(`devices/${id}/commands/+`, { qos: 1 });
  const beat = (): void =>
    void client.publishAsync(`devices/${id}/heartbeat`, '{}', { qos: 0 }).catch(() => undefined);
  beat();
  const timer = setInterval(beat, 250);
  return { client, silence: () => clearInterval(timer) };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const PASSWORD = 'correct horse battery staple';

/** A local user with a password (the console signs in with e-mail and password, not tokens). */
async function user(p: TestPlatform, email: string, role: 'admin' | 'operator' | 'viewer'): Promise<string> {
  await api(p, 'POST', '/users', { email, role, password: PASSWORD });
  return email;
}

async function signIn(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor(WAIT);
}

test('console: fleet, device detail, commands, service state and SLOs in a real browser', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}; set TSUNAGU_CHROMIUM or install Debian's chromium`);
    return;
  }
  ensureConsoleBuilt();
  const p = await startTestPlatform();
  const clients: MqttClient[] = [];
  const silencers: (() => void)[] = [];
  t.after(async () => {
    for (const s of silencers) s();
    for (const c of clients) await c.endAsync(true);
    await p.close();
  });
  const browser: Browser = await launchBrowser();
  t.after(() => browser.close());

  await api(p, 'POST', '/device-models', {
    name: 'e2e-lock',
    heartbeat: { intervalMs: 1000, graceMs: 1000, signOfLife: 'heartbeat' },
  });
  for (const id of ['lock-1', 'lock-2', 'lock-3'])
    await api(p, 'POST', '/devices', { id, name: `Door ${id.slice(-1)}`, model: 'e2e-lock', tags: ['e2e'] });
  for (const id of ['lock-1', 'lock-2']) {
    const d = await lock(p, id);
    clients.push(d.client);
    silencers.push(d.silence);
  }
  await api(p, 'POST', '/slos', {
    name: 'lock-availability',
    displayName: 'Lock availability',
    sli: { type: 'availability', selector: { model: 'e2e-lock' } },
    target: 0.99,
    window: { rolling: '7d' },
  });
  const admin = await user(p, 'ada@fleet.example', 'admin');
  const viewer = await user(p, 'vic@fleet.example', 'viewer');
  // Service-state changes go to a webhook nobody listens on: the delivery log shows the attempts.
  const hook = await api(p, 'POST', '/notification-channels', {
    name: 'ops webhook',
    type: 'webhook',
    url: 'http://127.0.0.1:9/hook',
    groupWindowMs: 0,
  });
  await api(p, 'POST', '/notification-routes', {
    name: 'service state to ops',
    channelIds: [hook.id],
    kinds: ['service-state.changed'],
  });
  // Two locks report positions (HTTP ingest, default JSON decoder) for the map.
  await api(p, 'POST', '/devices/lock-1/telemetry', { lat: 52.52, lon: 13.405, battery: 81 });
  await api(p, 'POST', '/devices/lock-3/telemetry', { lat: 52.5, lon: 13.44, battery: 12 });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, p.httpUrl, admin);
  await page.getByTestId('signed-in-as').filter({ hasText: 'ada@fleet.example · admin' }).waitFor(WAIT);

  // Fleet overview: two of three online; lock-3 never connected, so it goes out of service.
  await page.getByTestId('online-count').filter({ hasText: '2 / 3' }).waitFor(WAIT);
  await page.getByTestId('out-of-service').getByRole('link', { name: 'lock-3' }).waitFor(WAIT);
  await shot(page, '01-fleet');

  // lock-2 goes silent: the overview updates from the event stream, without a reload.
  const navigations: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
  silencers[1]!();
  await page.getByTestId('out-of-service').getByRole('link', { name: 'lock-2' }).waitFor(WAIT);
  await page.getByTestId('out-of-service').getByText('heartbeat_lost').first().waitFor(WAIT);
  assert.deepEqual(navigations, [], 'the page was not reloaded');
  await shot(page, '02-fleet-after-silence');

  // Device list with a text filter.
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByTestId('device-total').filter({ hasText: '3 devices' }).waitFor(WAIT);
  await page.getByRole('cell', { name: 'Door 2' }).waitFor(WAIT);
  // The list shows service state beside the connection: lock-2 is out (heartbeat lost).
  await page
    .getByRole('row', { name: /lock-2/ })
    .getByText('out of service')
    .waitFor(WAIT);
  await page
    .getByRole('row', { name: /lock-1/ })
    .getByText('in service')
    .waitFor(WAIT);
  await shot(page, '03-devices');
  await page.getByLabel('Search').fill('lock-1');
  await page.getByTestId('device-total').filter({ hasText: '1 devices' }).waitFor(WAIT);
  await page.getByRole('row', { name: /lock-1/ }).click();

  // Device detail: status and connectivity.
  await page.getByRole('heading', { name: /Door 1/ }).waitFor(WAIT);
  await page.getByTestId('connectivity').getByText('connected').first().waitFor(WAIT);
  await shot(page, '04-device-status');

  // Telemetry chart (uPlot canvas) for the battery metric.
  await page.getByRole('tab', { name: 'Telemetry' }).click();
  await page.getByRole('checkbox', { name: 'battery' }).check();
  await page.getByRole('checkbox', { name: 'lat' }).check(); // several metrics on one chart
  await page.locator('.uplot canvas').first().waitFor(WAIT);
  await page.locator('.uplot .u-legend').getByText('lat').waitFor(WAIT);
  // Latest values: every key with its value.
  await page
    .getByTestId('latest-values')
    .getByRole('row', { name: /battery\s*81/ })
    .waitFor(WAIT);
  await shot(page, '04b-device-telemetry');

  // Shadow: edit desired, see the history entry and the diff.
  await page.getByRole('tab', { name: 'Shadow' }).click();
  await page.getByLabel(/Change desired state/).fill('{"locked": false, "led": "green"}');
  await page.getByRole('button', { name: 'Update desired' }).click();
  await page.getByTestId('shadow-desired').filter({ hasText: '"led": "green"' }).waitFor(WAIT);
  await page
    .getByTestId('shadow-history')
    .getByRole('cell', { name: /"led":"green"/ })
    .waitFor(WAIT);
  await page.getByLabel(/Change desired state/).fill('{"led": "red"}');
  await page.getByRole('button', { name: 'Update desired' }).click();
  await page
    .getByTestId('shadow-history')
    .getByRole('cell', { name: /"led":"red"/ })
    .waitFor(WAIT);
  await page.getByLabel('From version').fill('1');
  await page.getByLabel('To version').fill('2');
  await page.getByRole('button', { name: 'Diff' }).click();
  await page.getByTestId('shadow-diff').getByText('desired.led').waitFor(WAIT);
  await shot(page, '05-device-shadow');

  // Command: unlock, answered by the device; outcome and latency shown.
  await page.getByRole('tab', { name: 'Commands' }).click();
  await page.getByLabel('Command', { exact: true }).fill('unlock');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('command-outcome').filter({ hasText: 'succeeded' }).waitFor(WAIT);
  assert.match((await page.getByTestId('command-outcome').textContent()) ?? '', /reply \d+(\.\d+)? m?s/);
  await shot(page, '06-device-commands');

  // Manual service-out with a note.
  await page.getByRole('tab', { name: 'Status' }).click();
  await page.getByLabel('Set state').selectOption('out_of_service');
  await page.getByLabel(/Note/).fill('bolt jammed, checked on site');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByTestId('service-history').getByText('bolt jammed, checked on site').waitFor(WAIT);
  await page.getByTestId('service-state').getByText('out of service').waitFor(WAIT);
  // The header says it too, with the reason.
  await page
    .getByRole('heading', { name: /Door 1/ })
    .getByText('out of service')
    .waitFor(WAIT);
  await page
    .getByTestId('header-reasons')
    .getByText(/manual/)
    .waitFor(WAIT);
  const st = await api(p, 'GET', '/devices/lock-1/service-state');
  assert.equal(st.state, 'out_of_service');
  assert.equal((st.history as Json[])[0]!.note, 'bolt jammed, checked on site');
  await shot(page, '07-device-out-of-service');

  // SLOs: list, then detail with its budget.
  await page.getByRole('link', { name: 'SLOs' }).click();
  await page.getByRole('link', { name: 'Lock availability' }).click();
  await page
    .getByTestId('budget-remaining')
    .filter({ hasText: /\d+(\.\d)?%/ })
    .waitFor(WAIT);
  await page.getByTestId('alert-tiers').getByText('page-1h').waitFor(WAIT);
  await shot(page, '08-slo');
  await page.getByRole('link', { name: 'Map' }).click();
  await page.getByLabel('Tile server URL template').fill(''); // no network here: the bundled outlines only
  await page.getByRole('button', { name: 'lock-1, out of service' }).waitFor(WAIT);
  await page.getByRole('button', { name: /^lock-3, / }).waitFor(WAIT);
  await shot(page, '09-map');
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByTestId('channels').getByText('ops webhook').waitFor(WAIT);
  await page.getByTestId('deliveries').getByText('service-state.changed').first().waitFor(WAIT);
  // A delivery opens to show what the channel was told.
  await page.getByTestId('deliveries').getByText('message').first().click();
  await page.getByTestId('deliveries').locator('details[open] li').first().waitFor(WAIT);
  await shot(page, '10-notifications');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page
    .getByRole('cell', { name: /devices\/lock-1/ })
    .first()
    .waitFor(WAIT);
  await page.getByRole('button', { name: 'show' }).first().click();
  await page
    .getByTestId('audit-detail')
    .getByText(/"after"/)
    .waitFor(WAIT);
  await shot(page, '11-audit');
  // Unknown addresses and missing devices get the console's own pages, not raw JSON or a live form.
  await page.goto(`${p.httpUrl}/no/such/page`);
  await page.getByText('Nothing here.').waitFor(WAIT);
  await page.goto(`${p.httpUrl}/devices/no-such-device`);
  await page.getByRole('heading', { name: 'No such device' }).waitFor(WAIT);
  assert.equal(await page.getByRole('tab', { name: 'Shadow' }).count(), 0, 'no tabs for a missing device');

  // Users and customers (admin): the viewer is listed; a customer is created with a device.
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByTestId('users').getByRole('cell', { name: 'vic@fleet.example', exact: true }).waitFor(WAIT);
  await page.getByLabel('Customer id').fill('acme');
  await page.getByLabel('Name', { exact: true }).fill('ACME');
  await page.getByLabel(/Device ids/).fill('lock-3');
  await page.getByRole('button', { name: 'Save customer' }).click();
  await page.getByTestId('customers').getByRole('cell', { name: 'ACME', exact: true }).waitFor(WAIT);
  assert.deepEqual((await api(p, 'GET', '/customers/acme')).devices, ['lock-3']);
  await shot(page, '11b-users');

  // A viewer sees the device but has no editing controls; phone width, dark mode.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  const vp = await phone.newPage();
  await signIn(vp, p.httpUrl, viewer);
  await vp.getByTestId('online-count').filter({ hasText: '/ 3' }).waitFor(WAIT);
  await shot(vp, '12-phone-dark-fleet');
  await vp.goto(`${p.httpUrl}/devices/lock-1`);
  await vp.getByRole('heading', { name: /Door 1/ }).waitFor(WAIT);
  await vp.getByTestId('service-history').getByText('bolt jammed, checked on site').waitFor(WAIT);
  assert.equal(
    await vp.getByRole('button', { name: 'Apply' }).count(),
    0,
    'a viewer cannot change service state',
  );
  await vp.getByRole('tab', { name: 'Shadow' }).click();
  await vp.getByTestId('shadow-desired').waitFor(WAIT);
  assert.equal(
    await vp.getByRole('button', { name: 'Update desired' }).count(),
    0,
    'a viewer cannot edit desired',
  );
  await shot(vp, '13-phone-dark-device-viewer');
  assert.equal(await vp.getByRole('link', { name: 'Users' }).count(), 0, 'only admins see Users');

  // The admin disables the viewer: the viewer's next request ends in the sign-in page.
  await page.getByRole('button', { name: 'Disable vic@fleet.example' }).click();
  await page.getByRole('button', { name: 'Enable vic@fleet.example' }).waitFor(WAIT);
  await vp.getByRole('link', { name: 'Devices' }).click();
  await vp.getByText('Your session has ended; sign in again.').waitFor(WAIT);
  await phone.close();
  await ctx.close();
});
