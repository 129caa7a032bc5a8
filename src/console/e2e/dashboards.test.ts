/**
 * The dashboards pages in a real browser (Debian's chromium via playwright-core) against a real
 * platform and an mqtt.js boiler sending telemetry through its model's decoder: create a fleet
 * dashboard, add a time series and a latest-value widget in edit mode (configured and moved with
 * buttons), see the values render (the unit from the model), save, reload and see them again; then
 * open the model's default dashboard from the device page. Screenshots go to
 * .test-artifacts/console/. Waits for outcomes, never times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestPlatform } from '../../test-support/platform.js';
import { api, connect, registerDevice } from '../../test-support/platform-api.js';
import { until } from '../../test-support/until.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  ensureConsoleBuilt,
  launchBrowser,
  consoleSignIn,
} from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };
const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

test('console: dashboards — create, add time series and latest value, values render, save, reload, model default', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return;
  }
  ensureConsoleBuilt();
  const p = await startTestPlatform();
  t.after(() => p.close());
  const decoder = {
    id: 'boiler-json',
    name: 'Boiler',
    type: 'json',
    spec: {
      metrics: [
        { path: 'flow', name: 'flow_temp', unit: 'degC' },
        { path: 'pressure', unit: 'bar' },
      ],
      attributes: [{ path: 'mode' }],
    },
  };
  assert.equal((await api(p, 'POST', '/decoders', decoder)).status, 201);
  assert.equal(
    (await api(p, 'POST', '/device-models', { name: 'boiler', decoder: 'boiler-json' })).status,
    201,
  );
  const secret = await registerDevice(p, 'b1', 'boiler');
  const device = await connect(p.mqttUrl, 'b1', { username: 'b1', password: secret });
  t.after(() => device.endAsync());
  for (const [flow, pressure] of [
    [52, 1.2],
    [55, 1.3],
    [58, 1.4],
  ] as const)
    await device.publishAsync('devices/b1/telemetry', JSON.stringify({ flow, pressure, mode: 'eco' }), {
      qos: 1,
    });
  await until('three flow_temp points stored', async () => {
    const r = await api(p, 'GET', '/devices/b1/telemetry?metric=flow_temp&from=0');
    return (r.body.points?.length ?? 0) === 3;
  });

  const browser: Browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await consoleSignIn(page, p);
  await page.getByRole('link', { name: 'Dashboards' }).click();
  await page.getByText('No dashboards yet.').waitFor(WAIT);
  await page.getByRole('link', { name: 'New dashboard' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Boiler room');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText('This dashboard has no widgets yet.').waitFor(WAIT);
  await page.getByRole('button', { name: 'Edit' }).click();

  // A time series of two keys on b1.
  await page.getByLabel('Widget kind').selectOption('time_series');
  await page.getByRole('button', { name: 'Add widget' }).click();
  await page.getByLabel('Device', { exact: true }).fill('b1');
  await page.getByLabel('Keys (comma-separated)').fill('flow_temp, pressure');
  await page.getByLabel('Range').selectOption('data');
  // A latest value, made narrower and moved right with the buttons (keyboard-usable).
  await page.getByLabel('Widget kind').selectOption('latest_value');
  await page.getByRole('button', { name: 'Add widget' }).click();
  await page.getByLabel('Device', { exact: true }).fill('b1');
  await page.getByLabel('Key', { exact: true }).fill('pressure');
  const wider = page.getByRole('button', { name: 'Move right Latest value w2' });
  await wider.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'Edit' }).waitFor(WAIT);

  const seeValues = async (): Promise<void> => {
    await page.getByTestId('latest-pressure').getByText('1.4 bar').waitFor(WAIT);
    const chart = page.locator('section[data-widget="time_series"]');
    await chart.locator('canvas').first().waitFor(WAIT);
    await chart.getByText('flow_temp').first().waitFor(WAIT);
  };
  await seeValues();
  await shot(page, 'dashboards-01-saved');
  const list = await api(p, 'GET', '/dashboards');
  assert.equal(list.body.length, 1);
  const saved = list.body[0];
  assert.deepEqual(
    saved.widgets.map((w: { kind: string; x: number; device: string }) => [w.kind, w.x, w.device]),
    [
      ['time_series', 0, 'b1'],
      ['latest_value', 2, 'b1'],
    ],
  );
  assert.deepEqual(saved.widgets[0].keys, ['flow_temp', 'pressure']);

  await page.reload();
  await seeValues();
  await shot(page, 'dashboards-02-reloaded');

  // The device page links to its model's default dashboard, generated from the decoder's fields.
  await page.goto(`${p.httpUrl}/devices/b1`);
  await page.getByRole('link', { name: 'Open model dashboard' }).click();
  await page.getByRole('heading', { name: 'boiler (default)' }).waitFor(WAIT);
  await page.getByTestId('latest-flow_temp').getByText('58 °C').waitFor(WAIT);
  await page.getByTestId('latest-mode').getByText('eco').waitFor(WAIT);
  await page.getByTestId('service-state').waitFor(WAIT);
  await shot(page, 'dashboards-03-model-default');
});
