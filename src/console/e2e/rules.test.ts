/**
 * The rules pages in a real browser (Debian's chromium via playwright-core) against a real platform
 * and a real mqtt.js device: create a rule with a syntax error shown inline, fix it, run the test
 * panel, watch the rule's metrics count a message the device publishes, disable it. Screenshots go
 * to .test-artifacts/console/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestPlatform } from '../../test-support/platform.js';
import { api } from '../../test-support/platform-api.js';
import { consoleTestReady, screenshot, signedInPage } from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };
const shot = screenshot;

test('console: rules list, editor with inline SQL errors, test panel and metrics', async (t) => {
  if (!consoleTestReady(t)) return;
  const p = await startTestPlatform({ allowAnonymous: true });
  t.after(() => p.close());
  const existing = await api(p, 'POST', '/rules', {
    name: 'existing',
    sql: "SELECT * FROM 'x/+'",
    actions: [{ type: 'republish', topic: 'y/${topic(2)}' }],
  });
  assert.equal(existing.status, 201);

  const page = await signedInPage(t, p);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
  await page.getByTestId('rule-list').getByRole('link', { name: 'existing' }).waitFor(WAIT);

  // A typo in the statement: the server's parser error shows under the SQL box as you type.
  const form = page.getByRole('form', { name: 'Rule definition' });
  await form.getByLabel('Name').fill('hot_boiler');
  await form.getByLabel('SQL').fill("SELECT temp FORM 'boilers/+/telemetry' WHERE temp > 80");
  await page
    .getByTestId('sql-error')
    .filter({ hasText: /line 1, column 13/ })
    .waitFor(WAIT);
  await shot(page, '20-rules-sql-error');
  await form
    .getByLabel('SQL')
    .fill("SELECT temp, topic(2) AS boiler FROM 'boilers/+/telemetry' WHERE temp > 80");
  await page.getByTestId('sql-error').waitFor({ state: 'detached', ...WAIT });
  await form
    .getByLabel('Actions (JSON array)')
    .fill('[{"type": "republish", "topic": "alerts/${topic(2)}", "qos": 1}]');

  // The test panel runs the draft on a sample message; nothing is sent.
  await page.getByLabel('Test topic').fill('boilers/b-7/telemetry');
  await page.getByLabel('Test payload').fill('{"temp": 91}');
  await page.getByRole('button', { name: 'Run test' }).click();
  await page.getByTestId('test-result').getByText('matched', { exact: true }).waitFor(WAIT);
  assert.deepEqual(JSON.parse((await page.getByTestId('test-output').textContent()) ?? ''), {
    temp: 91,
    boiler: 'b-7',
  });
  await page.getByTestId('test-result').getByText('alerts/b-7').waitFor(WAIT);
  await shot(page, '21-rules-test-panel');

  // Create: the detail page opens; a real device's message shows in the metrics.
  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.getByRole('heading', { name: /Rule hot_boiler/ }).waitFor(WAIT);
  const dev = await mqtt.connectAsync(p.mqttUrl, { clientId: 'b-7', reconnectPeriod: 0 });
  t.after(() => dev.endAsync(true));
  await dev.publishAsync('boilers/b-7/telemetry', '{"temp": 95}', { qos: 1 });
  await dev.publishAsync('boilers/b-7/telemetry', '{"temp": 20}', { qos: 1 });
  const metric = (k: string) => page.getByTestId('rule-metrics').locator(`dd[data-metric="${k}"]`);
  await metric('evaluated').filter({ hasText: /^2$/ }).waitFor(WAIT);
  await metric('matched').filter({ hasText: /^1$/ }).waitFor(WAIT);
  await metric('actions succeeded').filter({ hasText: /^1$/ }).waitFor(WAIT);
  await shot(page, '22-rule-detail');

  // Disable from the page: the API agrees.
  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('button', { name: 'Enable' }).waitFor(WAIT);
  assert.equal((await api(p, 'GET', '/rules/hot_boiler')).body.enabled, false);

  // Back to the list: both rules, with the new one's counts.
  await page.getByRole('link', { name: '← Rules' }).click();
  await page
    .getByTestId('rule-list')
    .getByRole('row', { name: /hot_boiler/ })
    .waitFor(WAIT);
  await shot(page, '23-rules-list');
});
