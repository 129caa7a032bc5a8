/**
 * The schedules pages in a real browser (Debian's chromium via playwright-core) against a real
 * platform and mqtt.js boilers (one applies what it is sent, one refuses): create a schedule through
 * the form (its validation errors shown at the field), the year view with holidays, an exception
 * and today, the preview, executions with each device's outcome, the device's Schedule tab, an edit,
 * and the YAML export. Screenshots go to .test-artifacts/console/. Waits for outcomes, never times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../../test-support/platform.js';
import { until } from '../../test-support/until.js';
import { consoleTestReady, screenshot, signedInPage } from '../../test-support/browser.js';
import { boiler, register, type Boiler } from '../../schedules/e2e-helpers.js';

const WAIT = { timeout: 30_000 };
const shot = screenshot;

test('console: schedules — form errors, year view, preview, executions per device, edit, YAML', async (t) => {
  if (!consoleTestReady(t)) return;
  const p = await startTestPlatform();
  const boilers: Boiler[] = [];
  t.after(async () => {
    for (const b of boilers) await b.close();
    await p.close();
  });
  boilers.push(await boiler(p, 'b-ok', await register(p, 'b-ok'), true));
  boilers.push(await boiler(p, 'b-bad', await register(p, 'b-bad'), false));
  const page = await signedInPage(t, p, { width: 1280, height: 900 });
  const year = new Date().getUTCFullYear();
  const today = new Date().toISOString().slice(0, 10);

  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByText('No schedule yet.').waitFor(WAIT);
  await page.getByRole('link', { name: 'New schedule' }).click();

  // Client-side check: a slot time that is not HH:MM, shown at the slots field.
  await page.locator('input[name="name"]').fill('boilers');
  await page.locator('input[name="timezone"]').fill('Mars/Olympus');
  await page.locator('input[name="targets.devices"]').fill('b-ok, b-bad');
  await page.locator('input[name="verify.timeoutMs"]').fill('1');
  await page.locator('input[name="verify.attempts"]').fill('1');
  await page.locator('input[name="verify.backoffMs"]').fill('0');
  const slots = page.locator('textarea[name="rules[0].slots"]');
  await slots.fill('6am {"mode":"heat"}');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await page.getByRole('alert').filter({ hasText: 'rules[0].slots[0].time' }).waitFor(WAIT);
  assert.equal(await slots.getAttribute('aria-invalid'), 'true');
  // Server-side check (422 naming the field): the zone.
  await slots.fill('00:00 {"mode":"heat","setpoint":55}');
  await page.locator('textarea[name="holidays"]').fill(`de-be: ${year}-12-25, ${year}-12-26`);
  await page.locator('textarea[name="exceptions"]').fill(`${year}-12-24 -`);
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'timezone: unknown IANA time zone Mars/Olympus' })
    .waitFor(WAIT);
  assert.equal(await page.locator('input[name="timezone"]').getAttribute('aria-invalid'), 'true');
  await shot(page, 'schedules-01-form-error');
  await page.locator('input[name="timezone"]').fill('UTC');
  await page.getByRole('button', { name: 'Create schedule' }).click();

  // The year view: every day planned by the rule, holidays and the exception marked, today outlined.
  await page.getByRole('heading', { name: 'boilers' }).waitFor(WAIT);
  const grid = page.getByTestId('year-view');
  await grid.locator(`[data-date="${today}"].today`).waitFor(WAIT);
  assert.match(
    (await grid.locator(`[data-date="${year}-12-25"]`).getAttribute('aria-label')) ?? '',
    /holiday de-be/,
  );
  assert.match(
    (await grid.locator(`[data-date="${year}-12-24"]`).getAttribute('aria-label')) ?? '',
    /no write.*exception/,
  );
  await grid.locator(`[data-date="${today}"]`).click();
  await page.getByTestId('day-detail').getByText('00:00 {"mode":"heat","setpoint":55}').waitFor(WAIT);
  await shot(page, 'schedules-02-year');

  await page.getByRole('tab', { name: 'Preview' }).click();
  await page.getByTestId('preview').getByRole('cell', { name: 'every-day' }).first().waitFor(WAIT);

  // Executions: the boiler that applies is verified, the one that refuses fails after its one attempt.
  await page.getByRole('tab', { name: 'Executions' }).click();
  const rows = page.getByTestId('executions').locator('tbody tr');
  await rows.filter({ hasText: 'b-ok' }).filter({ hasText: 'verified' }).waitFor(WAIT);
  await rows.filter({ hasText: 'b-bad' }).filter({ hasText: 'failed' }).waitFor(WAIT);
  assert.match(
    (await rows.filter({ hasText: 'b-bad' }).textContent()) ?? '',
    /mode: reported .* desired "?heat/,
  );
  await shot(page, 'schedules-03-executions');

  // Edit: the form holds the stored definition; saving makes version 2.
  await page.getByRole('tab', { name: 'Edit' }).click();
  const editSlots = page.locator('textarea[name="rules[0].slots"]');
  assert.equal(await editSlots.inputValue(), '00:00 {"mode":"heat","setpoint":55}');
  await editSlots.fill('00:00 {"mode":"heat","setpoint":60}');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByText('version 2').waitFor(WAIT);

  // The device's Schedule tab: upcoming writes and its executions.
  await page.goto(`${p.httpUrl}/devices/b-ok`);
  await page.getByRole('tab', { name: 'Schedule' }).click();
  await page.getByRole('link', { name: 'boilers' }).waitFor(WAIT);
  await page.getByText('{"mode":"heat","setpoint":60}').first().waitFor(WAIT);
  await page.getByTestId('executions').getByText('verified').first().waitFor(WAIT);
  await shot(page, 'schedules-04-device-tab');

  // YAML export from the list.
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByTestId('schedule-list').getByRole('link', { name: 'boilers' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Export all' }).click();
  const yaml = page.getByLabel(/Schedules YAML/);
  await until('the export fills the text area', async () =>
    (await yaml.inputValue()).includes('name: boilers'),
  );
  assert.match(await yaml.inputValue(), /setpoint: 60/);
  await shot(page, 'schedules-05-list');
});
