/**
 * Every console page with seeded data, checked with axe-core in Debian's chromium: no serious or
 * critical accessibility violation on the devices list, each device tab, the fleet overview, the
 * map, SLOs and one SLO, notifications, audit, rules and one rule, jobs and one job, schedules and
 * one schedule, users, sign-in and an unknown route. A full-page screenshot of each goes to
 * .test-artifacts/console/a11y-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../../test-support/platform.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  consoleSignIn,
  ensureConsoleBuilt,
  expectNoSeriousA11yViolations,
  launchBrowser,
} from '../../test-support/browser.js';

const WAIT = { timeout: 30_000 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies
type Json = Record<string, any>;
async function api(p: TestPlatform, method: 'POST' | 'PUT', url: string, payload: Json): Promise<Json> {
  const r = await p.app.http.inject({ method, url: `/api/v1${url}`, headers: p.auth, payload });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as Json;
}

async function seed(p: TestPlatform): Promise<{ job: string; schedule: string }> {
  await api(p, 'POST', '/device-models', {
    name: 'a11y-lock',
    heartbeat: { intervalMs: 1000, graceMs: 1000, signOfLife: 'heartbeat' },
  });
  const spots: [string, number, number][] = [
    ['lock-1', 52.52, 13.405],
    ['lock-2', 52.5, 13.44],
    ['lock-3', 48.14, 11.58],
  ];
  for (const [id, lat, lon] of spots) {
    await api(p, 'POST', '/devices', {
      id,
      name: `Door ${id.slice(-1)}`,
      model: 'a11y-lock',
      tags: ['a11y'],
    });
    await api(p, 'POST', `/devices/${id}/telemetry`, { lat, lon, battery: 80, firmware: '1.2.0' });
  }
  await api(p, 'POST', '/slos', {
    name: 'lock-availability',
    displayName: 'Lock availability',
    sli: { type: 'availability', selector: { model: 'a11y-lock' } },
    target: 0.99,
    window: { rolling: '7d' },
  });
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
  await api(p, 'POST', '/rules', {
    name: 'hot_lock',
    sql: "SELECT battery FROM 'devices/+/telemetry' WHERE battery < 20",
    actions: [{ type: 'republish', topic: 'alerts/low-battery' }],
  });
  const job = await api(p, 'POST', '/jobs', {
    jobId: 'fw-2',
    document: { operation: 'firmware', version: '2' },
    targets: { deviceIds: ['lock-1', 'lock-2'] },
  });
  const schedule = await api(p, 'POST', '/schedules', {
    name: 'night-lock',
    timezone: 'Europe/Berlin',
    targets: { devices: ['lock-1'] },
    rules: [{ name: 'daily', when: {}, slots: [{ time: '22:00', patch: { locked: true } }] }],
    verify: { timeoutMs: 60_000, attempts: 2, backoffMs: 10_000, maxBackoffMs: 60_000 },
  });
  return { job: String(job.jobId ?? job.id ?? 'fw-2'), schedule: String(schedule.id) };
}

/** Failures of every page, reported together at the end (one run shows all that needs fixing). */
const failures: string[] = [];
async function check(page: Page, name: string, ready: () => Promise<unknown>): Promise<void> {
  await ready();
  await page.screenshot({ path: join(ARTIFACTS, `a11y-${name}.png`), fullPage: true });
  await expectNoSeriousA11yViolations(page, name).catch((e: Error) => failures.push(e.message));
}

test('the axe-core helper reports serious violations (unnamed button, unlabelled input)', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return;
  }
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.setContent('<html lang="en"><title>t</title><main><button></button><input></main></html>');
  await assert.rejects(expectNoSeriousA11yViolations(page, 'bad'), /button-name[\s\S]*label/);
  await page.setContent(
    '<html lang="en"><title>t</title><main><button>Go</button><label>Name <input></label></main></html>',
  );
  await expectNoSeriousA11yViolations(page, 'good');
});

test('console: every page has no serious or critical axe-core violation (screenshots saved)', async (t) => {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return;
  }
  ensureConsoleBuilt();
  const p = await startTestPlatform();
  t.after(() => p.close());
  const { job, schedule } = await seed(p);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();

  await page.goto(p.httpUrl);
  await check(page, 'sign-in', () => page.getByLabel('E-mail').waitFor(WAIT));
  await consoleSignIn(page, p);
  const main = page.getByRole('main');
  const go = async (path: string): Promise<void> => {
    await page.goto(`${p.httpUrl}${path}`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor(WAIT);
  };
  const heading = (name: string | RegExp) => () =>
    main.getByRole('heading', { name, level: 1 }).first().waitFor(WAIT);

  await go('/');
  await check(page, 'fleet', heading(/Fleet/));
  await go('/devices');
  await check(page, 'devices', () => main.getByText('lock-3').first().waitFor(WAIT));
  await go('/devices/lock-1');
  for (const tab of ['Status', 'Shadow', 'Telemetry', 'Events', 'Commands', 'Schedule']) {
    await main.getByRole('tab', { name: tab }).click();
    await check(page, `device-${tab.toLowerCase()}`, () =>
      main.getByRole('tab', { name: tab, selected: true }).waitFor(WAIT),
    );
  }
  await go('/map');
  await check(page, 'map', async () => {
    await main.getByTestId('device-map').waitFor(WAIT);
    await main.locator('.map-cluster, .map-point').first().waitFor(WAIT);
  });
  // Berlin's two locks start as one cluster: a click zooms in until each is a marker of its own,
  // and a marker opens its device page.
  await main.getByRole('button', { name: /^2 devices/ }).click();
  await main.getByRole('button', { name: 'lock-1, out of service' }).click();
  await page.waitForURL(/\/devices\/lock-1$/, WAIT);
  await main
    .getByRole('heading', { name: /Door 1|lock-1/, level: 1 })
    .first()
    .waitFor(WAIT);
  await go('/slos');
  await check(page, 'slos', () => main.getByText('Lock availability').first().waitFor(WAIT));
  await go('/slos/lock-availability');
  await check(page, 'slo', () => main.getByText('Lock availability').first().waitFor(WAIT));
  await go('/notifications');
  await check(page, 'notifications', () => main.getByText('ops webhook').first().waitFor(WAIT));
  await go('/audit');
  await check(page, 'audit', heading(/Audit/));
  await go('/rules');
  await check(page, 'rules', () => main.getByRole('link', { name: 'hot_lock' }).first().waitFor(WAIT));
  await go('/rules/hot_lock');
  await check(page, 'rule', () => main.getByText('hot_lock').first().waitFor(WAIT));
  await go('/jobs');
  await check(page, 'jobs', () => main.getByText(job).first().waitFor(WAIT));
  await go(`/jobs/${encodeURIComponent(job)}`);
  await check(page, 'job', () => main.getByText(job).first().waitFor(WAIT));
  await go('/schedules');
  await check(page, 'schedules', () => main.getByText('night-lock').first().waitFor(WAIT));
  await go(`/schedules/${encodeURIComponent(schedule)}`);
  await check(page, 'schedule', () => main.getByText('night-lock').first().waitFor(WAIT));
  await go('/users');
  await check(page, 'users', () => main.getByText('admin@e2e.test').first().waitFor(WAIT));
  await go('/no/such/page');
  await check(page, 'not-found', () => main.getByText(/Nothing here/).waitFor(WAIT));
  assert.deepEqual(failures, []);
});
