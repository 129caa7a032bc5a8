/**
 * The gaps an operator hit after console v2, in Debian's chromium (playwright-core) against a real
 * platform: a dashboard widget moved and resized by dragging with the mouse and with the arrow keys
 * on its handles (saved; axe-core clean in edit mode); the device list filtered by each service
 * state together with the text filter (server-side); the map's maintenance and retired colours and
 * legend, and its tiles from the platform's `--map-tiles-url` (a tile server this test runs) until
 * the browser sets its own; a customer's user changing a customer-writable set-point (and refused
 * another key). Screenshots go to .test-artifacts/console/gaps-*.png. Waits for outcomes, not times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { api } from '../../test-support/platform-api.js';
import { startTestPlatform } from '../../test-support/platform.js';
import { until } from '../../test-support/until.js';
import {
  consoleSignIn,
  consoleTestReady,
  expectNoSeriousA11yViolations,
  screenshot,
  signedInPage,
  TEST_PASSWORD,
} from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A raster tile server on a loopback port that answers every tile with one PNG pixel. */
async function tileServer(): Promise<{ template: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' }).end(PNG);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    template: `http://127.0.0.1:${(server.address() as AddressInfo).port}/{z}/{x}/{y}.png`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Drag from the centre of `handle` by (dx, dy) pixels with the mouse. */
async function drag(
  page: Page,
  handle: ReturnType<Page['getByRole']>,
  dx: number,
  dy: number,
): Promise<void> {
  const box = await handle.boundingBox();
  assert.ok(box, 'the handle is on screen');
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + dy, { steps: 8 });
  await page.mouse.up();
}

test('console gaps: drag layout, service-state filter, map states and default tiles, customer set-point', async (t) => {
  if (!consoleTestReady(t)) return;
  const tiles = await tileServer();
  t.after(() => tiles.close());
  const p = await startTestPlatform({ mapTilesUrl: tiles.template });
  t.after(() => p.close());
  const ok = async (method: 'POST' | 'PUT', url: string, body: object): Promise<void> => {
    const r = await api(p, method, url, body);
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  // Far apart, so each is its own marker at the zoom that fits them all.
  const fleet: [string, string, number, number][] = [
    ['pump-1', 'in_service', 52.5, 13.4],
    ['pump-2', 'out_of_service', -33.9, 151.2],
    ['pump-3', 'maintenance', 40.7, -74],
    ['valve-1', 'in_service', 35.7, 139.7],
    ['valve-2', 'out_of_service', -23.5, -46.6],
    ['valve-3', 'retired', 1.3, 103.8],
  ];
  for (const [id, state, lat, lon] of fleet) {
    await ok('POST', '/devices', { id });
    await ok('POST', `/devices/${id}/telemetry`, { lat, lon });
    if (state !== 'in_service') await ok('PUT', `/devices/${id}/service-state`, { state, note: 'on site' });
  }
  const dash = await api(p, 'POST', '/dashboards', {
    name: 'Plant',
    scope: 'fleet',
    widgets: [
      { kind: 'latest_value', device: 'pump-1', key: 'lat', x: 0, y: 0, w: 3, h: 2 },
      { kind: 'service_state', x: 6, y: 0, w: 3, h: 2 },
    ],
  });
  assert.equal(dash.status, 201, JSON.stringify(dash.body));

  const page = await signedInPage(t, p, { width: 1440, height: 900 });

  // 1. Drag to move and resize; then the same with the arrow keys on the handles.
  await page.goto(`${p.httpUrl}/dashboards/${dash.body.id as string}`);
  await page.getByRole('button', { name: 'Edit' }).click();
  const gridBox = await page.locator('.dash-grid').boundingBox();
  assert.ok(gridBox);
  const col = (gridBox.width + 12) / 12;
  const placement = page.getByTestId('placement');
  const move = page.getByRole('button', { name: 'Drag to move Latest value w1' });
  const resize = page.getByRole('button', { name: 'Drag to resize Latest value w1' });
  await drag(page, move, 2 * col, 72 + 12);
  await placement.filter({ hasText: 'Latest value w1: column 3, row 2, 3 wide, 2 high' }).waitFor(WAIT);
  await drag(page, resize, col, 72 + 12);
  await placement.filter({ hasText: 'column 3, row 2, 4 wide, 3 high' }).waitFor(WAIT);
  await move.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowUp');
  await placement.filter({ hasText: 'column 4, row 1, 4 wide, 3 high' }).waitFor(WAIT);
  await resize.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowLeft');
  await placement.filter({ hasText: 'column 4, row 1, 3 wide, 4 high' }).waitFor(WAIT);
  await expectNoSeriousA11yViolations(page, 'dashboard edit mode with drag handles');
  await screenshot(page, 'gaps-01-dashboard-dragged');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'Edit' }).waitFor(WAIT);
  const saved = await api(p, 'GET', `/dashboards/${dash.body.id as string}`);
  assert.deepEqual(
    (saved.body.widgets as { x: number; y: number; w: number; h: number }[]).map((w) => [w.x, w.y, w.w, w.h]),
    [
      [3, 0, 3, 4],
      [6, 0, 3, 2],
    ],
  );

  // 2. The device list: every service state, together with the text filter.
  await page.getByRole('link', { name: 'Devices', exact: true }).click();
  const total = page.getByTestId('device-total');
  await total.filter({ hasText: '6 devices' }).waitFor(WAIT);
  await page.getByLabel('Service state').selectOption('out_of_service');
  await total.filter({ hasText: '2 devices' }).waitFor(WAIT);
  await page.getByLabel('Search').fill('valve');
  await total.filter({ hasText: '1 devices' }).waitFor(WAIT);
  await page.getByRole('row', { name: /valve-2.*out of service/ }).waitFor(WAIT);
  await page.getByLabel('Service state').selectOption('retired');
  await page.getByRole('row', { name: /valve-3.*retired/ }).waitFor(WAIT);
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Service state').selectOption('maintenance');
  await total.filter({ hasText: '1 devices' }).waitFor(WAIT);
  await page.getByRole('row', { name: /pump-3.*maintenance/ }).waitFor(WAIT);
  assert.match(page.url(), /state=maintenance/);
  await screenshot(page, 'gaps-02-devices-maintenance');

  // 3. The map: maintenance and retired in the legend and on the markers; the platform's tiles.
  await page.getByRole('link', { name: 'Map' }).click();
  const legend = page.getByTestId('map-legend');
  // In service but never connected reads offline; maintenance and retired whether connected or not.
  for (const text of ['offline: 2', 'out of service: 2', 'maintenance: 1', 'retired: 1'])
    await legend.filter({ hasText: text }).waitFor(WAIT);
  await page.locator('button.map-point.maintenance[data-device="pump-3"]').waitFor(WAIT);
  await page.locator('button.map-point.retired[data-device="valve-3"]').waitFor(WAIT);
  const map = page.getByTestId('device-map');
  assert.equal(await map.getAttribute('data-tiles'), tiles.template);
  await page.getByText('Tiles: the platform’s default (--map-tiles-url).').waitFor(WAIT);
  await until('the map fetched tiles from the platform default', () => tiles.requests.length > 0);
  await expectNoSeriousA11yViolations(page, 'map with maintenance and retired devices');
  await screenshot(page, 'gaps-03-map-states');
  // This browser's own setting wins (empty: outlines only) and survives a reload, until reset.
  await page.getByLabel(/Tile server URL template/).fill('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('Tiles: this browser’s setting.').waitFor(WAIT);
  assert.equal(await map.getAttribute('data-tiles'), '');
  await page.reload();
  await page.getByText('Tiles: this browser’s setting.').waitFor(WAIT);
  assert.equal(await page.getByTestId('device-map').getAttribute('data-tiles'), '');
  await page.getByRole('button', { name: "Use the platform's default" }).click();
  await page.getByText('Tiles: the platform’s default (--map-tiles-url).').waitFor(WAIT);
  assert.equal(await page.getByTestId('device-map').getAttribute('data-tiles'), tiles.template);

  // 4. A customer's user sets a customer-writable set-point; another key is refused with its name.
  await ok('POST', '/device-models', { name: 'boiler', attributes: { customerWritable: ['setpoint'] } });
  await ok('POST', '/devices', { id: 'boiler-1', model: 'boiler' });
  await ok('PUT', '/customers/acme', { name: 'ACME', devices: ['boiler-1'] });
  const email = 'cleo@acme.example';
  await ok('POST', '/users', { email, role: 'viewer', customer: 'acme', password: TEST_PASSWORD });
  const customer = await (await page.context().browser()!.newContext()).newPage();
  await consoleSignIn(customer, p, email, 'viewer');
  await customer.goto(`${p.httpUrl}/devices/boiler-1`);
  await customer.getByRole('tab', { name: 'Shadow' }).click();
  await customer.getByTestId('writable-keys').filter({ hasText: 'You may set: setpoint' }).waitFor(WAIT);
  const setpoints = customer.getByLabel(/Change set-points/);
  await setpoints.fill('{"setpoint": 21.5}');
  await customer.getByRole('button', { name: 'Update desired' }).click();
  await customer.getByTestId('shadow-desired').filter({ hasText: '"setpoint": 21.5' }).waitFor(WAIT);
  await setpoints.fill('{"mode": "boost"}');
  await customer.getByRole('button', { name: 'Update desired' }).click();
  await customer.getByText(/not customer-writable: state\.desired\.mode/).waitFor(WAIT);
  await screenshot(customer, 'gaps-04-customer-setpoint');
  const shadow = await api(p, 'GET', '/devices/boiler-1/shadow');
  assert.deepEqual(shadow.body.state.desired, { setpoint: 21.5 });
  // A device whose model makes nothing writable: said so, and no editor.
  await ok('POST', '/devices', { id: 'meter-1' });
  await ok('PUT', '/customers/acme', { name: 'ACME', devices: ['boiler-1', 'meter-1'] });
  await customer.goto(`${p.httpUrl}/devices/meter-1`);
  await customer.getByRole('tab', { name: 'Shadow' }).click();
  await customer.getByText('Your provider has made no set-point of this device writable.').waitFor(WAIT);
  assert.equal(await customer.getByLabel(/Change set-points/).count(), 0);
});
