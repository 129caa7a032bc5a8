/**
 * The Alarms page in a real browser (Debian's chromium via playwright-core) against a real
 * platform: an operator takes a device out of service through the API, the alarm shows in the nav
 * badge, the list and on the device page; a person acknowledges it with the keyboard and clears it
 * with the mouse, and who and when show in the list and the detail. axe-core finds no serious or
 * critical violation on the page. Screenshots go to .test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestPlatform } from '../../test-support/platform.js';
import { api } from '../../test-support/platform-api.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  consoleSignIn,
  ensureConsoleBuilt,
  launchBrowser,
} from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };
const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

interface AxeResult {
  violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[];
}

async function axe(page: Page): Promise<AxeResult['violations']> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  // A string expression: this file is type-checked without the DOM library.
  const r = await page.evaluate<AxeResult>('axe.run(document)');
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

test('console: alarms list, nav badge, ack by keyboard, clear, who and when, device page', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return;
  }
  ensureConsoleBuilt();
  const p = await startTestPlatform();
  t.after(() => p.close());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  for (const id of ['scooter-9', 'scooter-10'])
    assert.equal((await api(p, 'POST', '/devices', { id })).status, 201);

  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await consoleSignIn(page, p, 'ops@e2e.test', 'operator');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: /^Alarms/ }).click();
  await page.getByTestId('alarms-empty').waitFor(WAIT);
  await shot(page, '60-alarms-empty');

  // A lock jam: an operator takes the scooter out of service; health emits, the alarm is raised.
  const out = await api(p, 'PUT', '/devices/scooter-9/service-state', {
    state: 'out_of_service',
    note: 'lock jammed',
  });
  assert.equal(out.status, 200, JSON.stringify(out.body));
  const row = page.locator('tr', { has: page.getByRole('link', { name: 'out_of_service' }) });
  await row.waitFor(WAIT); // the page refreshes itself
  await nav.getByTestId('alarm-count').filter({ hasText: '1' }).waitFor(WAIT);
  assert.match((await row.textContent()) ?? '', /scooter-9.*ACTIVE UNACK/);

  // Acknowledge with the keyboard: focus the button and press Enter.
  await row.getByRole('button', { name: 'Acknowledge out_of_service on scooter-9' }).focus();
  await page.keyboard.press('Enter');
  await row.getByTestId('ack-who').filter({ hasText: 'ops@e2e.test' }).waitFor(WAIT);
  assert.match((await row.textContent()) ?? '', /ACTIVE ACK/);
  await nav.getByTestId('alarm-count').waitFor({ state: 'detached', ...WAIT });
  await shot(page, '61-alarms-acknowledged');

  // The device page shows its active alarm.
  await row.getByRole('link', { name: 'scooter-9' }).click();
  await page.getByTestId('device-alarms').getByText('lock jammed', { exact: false }).waitFor(WAIT);
  await shot(page, '62-device-active-alarm');
  await page.goBack();

  // Clear; the default filter (Active) hides it, "Any state" shows it cleared with who and when.
  const again = page.locator('tr', { has: page.getByRole('link', { name: 'out_of_service' }) });
  await again.getByRole('button', { name: 'Clear out_of_service on scooter-9' }).click();
  await page.getByTestId('alarms-empty').waitFor(WAIT);
  await page.getByLabel('State').selectOption('');
  await again.getByTestId('clear-who').filter({ hasText: 'ops@e2e.test' }).waitFor(WAIT);
  assert.match((await again.textContent()) ?? '', /CLEARED ACK/);
  assert.equal(await again.getByRole('button').count(), 0, 'nothing left to do on a CLEARED_ACK alarm');
  const serious = await axe(page);
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`),
    [],
  );
  await shot(page, '63-alarms-cleared');

  // The detail view: every field, who acknowledged and who cleared.
  await again.getByRole('link', { name: 'out_of_service' }).click();
  const detail = page.getByTestId('alarm-detail');
  await detail.waitFor(WAIT);
  assert.match((await detail.getByTestId('detail-ack').textContent()) ?? '', /ops@e2e\.test/);
  assert.match((await detail.getByTestId('detail-clear').textContent()) ?? '', /ops@e2e\.test/);
  assert.match((await detail.textContent()) ?? '', /lock jammed/);
  await shot(page, '64-alarm-detail');

  // The API agrees with what the page showed.
  const listed = await api(p, 'GET', '/alarms?deviceId=scooter-9');
  assert.equal(listed.body.items[0].state, 'CLEARED_ACK');
  assert.equal(listed.body.items[0].ackBy, 'ops@e2e.test');
});
