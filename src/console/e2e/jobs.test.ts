/**
 * The jobs pages in a real browser (Debian's chromium via playwright-core) against a real platform
 * and an mqtt.js device running the AWS IoT Jobs protocol: create a job with the form, watch the
 * device's success arrive in the progress counts, cancel one device's execution, abort the job, and
 * find it in the list. Screenshots go to .test-artifacts/console/. No durations are asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { api, registerDevice } from '../../test-support/platform-api.js';
import { startTestPlatform } from '../../test-support/platform.js';
import { consoleTestReady, screenshot, signedInPage } from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };

test('console jobs: create, progress from a real device, per-device cancel, abort, list', async (t) => {
  if (!consoleTestReady(t)) return;
  const p = await startTestPlatform();
  t.after(() => p.close());
  const secret = await registerDevice(p, 'b0');
  for (const id of ['b1', 'b2']) await registerDevice(p, id);
  const device = await mqtt.connectAsync(p.mqttUrl, {
    clientId: 'b0',
    username: 'b0',
    password: secret,
    reconnectPeriod: 0,
  });
  t.after(() => device.endAsync(true));
  await device.subscribeAsync('$aws/things/b0/jobs/#', { qos: 1 });
  const page = await signedInPage(t, p);
  page.on('dialog', (d) => void d.accept());
  const shot = (name: string) => screenshot(page, name);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
  await page.getByText('No job yet.').waitFor(WAIT);

  // A bad document is refused in the page; then a good job is created.
  const form = page.getByRole('form', { name: 'Create a job' });
  await form.getByLabel('Job id (optional)').fill('fw-2');
  await form.getByLabel('Description').fill('boiler firmware 2.0');
  await form.getByLabel(/Job document/).fill('{ not json');
  await form.getByLabel('Target device ids').fill('b0, b1, b2');
  await form.getByRole('button', { name: 'Create job' }).click();
  await form.getByRole('alert').filter({ hasText: 'not valid JSON' }).waitFor(WAIT);
  await form.getByLabel(/Job document/).fill('{"operation": "ota", "version": "2.0"}');
  await form.getByRole('button', { name: 'Create job' }).click();
  await page.getByRole('heading', { name: /Job fw-2/ }).waitFor(WAIT);
  await page
    .getByTestId('job-progress')
    .locator('[data-status=QUEUED]')
    .filter({ hasText: '3' })
    .waitFor(WAIT);

  // The device takes the job and succeeds; the page shows it without a reload.
  await device.publishAsync('$aws/things/b0/jobs/start-next', JSON.stringify({ clientToken: 't1' }), {
    qos: 1,
  });
  await device.publishAsync('$aws/things/b0/jobs/fw-2/update', JSON.stringify({ status: 'SUCCEEDED' }), {
    qos: 1,
  });
  await page
    .getByTestId('job-progress')
    .locator('[data-status=SUCCEEDED]')
    .filter({ hasText: '1' })
    .waitFor(WAIT);
  await page
    .getByTestId('job-executions')
    .getByRole('row', { name: /b0.*succeeded/ })
    .waitFor(WAIT);
  await shot('20-job-progress');

  // Cancel one device's execution, then abort the job.
  await page.getByRole('button', { name: 'Cancel on b1' }).click();
  await page
    .getByTestId('job-executions')
    .getByRole('row', { name: /b1.*canceled/ })
    .waitFor(WAIT);
  await page.getByRole('button', { name: 'Abort (force cancel)' }).click();
  await page.getByTestId('job-reason').filter({ hasText: 'aborted in the console' }).waitFor(WAIT);
  await page.getByTestId('job-timeline').getByText('canceled', { exact: true }).waitFor(WAIT);
  const status = await api(p, 'GET', '/jobs/fw-2');
  assert.deepEqual(
    [status.body.status, status.body.progress.SUCCEEDED, status.body.progress.CANCELED],
    ['CANCELED', 1, 2],
  );
  await shot('21-job-aborted');

  await page.getByRole('link', { name: '← Jobs' }).click();
  await page
    .getByTestId('job-list')
    .getByRole('row', { name: /fw-2.*canceled.*boiler firmware 2\.0/ })
    .waitFor(WAIT);
  await shot('22-jobs-list');
});
