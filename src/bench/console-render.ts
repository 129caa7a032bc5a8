/**
 * Time to first render of the fleet overview and the device list, measured in Debian's chromium with
 * the Performance API, at 1,000 devices (the peer run) and at 100,000 devices.
 *
 *   node --import tsx src/bench/console-render.ts [--devices 100000] [--runs 3]
 *
 * Devices are registered through the registry's YAML import (POST /api/v1/import, in batches of
 * 5,000 with inject()), so every module sees them as it would in production. The pages set
 * performance marks when their first data is on screen (`tsunagu:fleet-data`,
 * `tsunagu:devices-rows`); their startTime is milliseconds since navigation start. Also measured:
 * jumping to the middle of the device list (server offset paging) until those rows are filled in.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { Browser, Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { ensureConsoleBuilt, launchBrowser } from '../test-support/browser.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } },
});
const TOTAL = Number(values.devices);
const RUNS = Number(values.runs);
const BATCH = 5_000;

async function register(p: TestPlatform, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  for (let start = from; start < to; start += BATCH) {
    const devices = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const id = `dev-${String(i).padStart(6, '0')}`;
      devices.push({
        id,
        model: i % 2 ? 'bench-lock' : 'bench-meter',
        name: `Device ${i}`,
        tags: [`site-${i % 50}`],
      });
    }
    const r = await p.app.http.inject({
      method: 'POST',
      url: '/api/v1/import',
      headers: { ...p.auth, 'content-type': 'application/yaml' },
      payload: stringify({ apiVersion: 'tsunagu/v1', devices }),
    });
    if (r.statusCode !== 200) throw new Error(`import: ${r.statusCode} ${r.body.slice(0, 300)}`);
  }
  return performance.now() - t0;
}

async function mark(page: Page, url: string, name: string): Promise<number> {
  await page.goto(url);
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 120_000 });
  return page.evaluate((n) => performance.getEntriesByName(n)[0]!.startTime, name);
}

/** The few browser globals the page functions below use (the root tsconfig has no DOM types). */
interface El {
  scrollTop: number;
  scrollHeight: number;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { height: number };
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): Iterable<El>;
}
interface PageGlobals {
  document: El;
  requestAnimationFrame: (cb: (t: number) => void) => void;
  localStorage: { setItem(k: string, v: string): void };
}

/** Scroll the list to its middle and wait until the rows there have content (not the `…` placeholder). */
async function jumpToMiddle(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { document, requestAnimationFrame } = globalThis as unknown as PageGlobals;
    const list = document.querySelector('.vlist')!;
    const t0 = performance.now();
    list.scrollTop = list.scrollHeight / 2;
    const rowHeight = list.querySelector('[role=row]')!.getBoundingClientRect().height;
    const want = Math.floor(list.scrollTop / rowHeight);
    for (;;) {
      await new Promise<number>((r) => requestAnimationFrame(r));
      const rows = [...list.querySelectorAll('[role=row]:not(.head)')];
      // The rows for the new position (aria-rowindex is 1-based and counts the header) with content.
      const there = rows.some((r) => Number(r.getAttribute('aria-rowindex')) - 2 === want);
      if (there && rows.every((r) => !r.textContent?.includes('…'))) return performance.now() - t0;
      if (performance.now() - t0 > 120_000) throw new Error('rows never filled in');
    }
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(browser: Browser, p: TestPlatform, n: number): Promise<void> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(
    (token) => (globalThis as unknown as PageGlobals).localStorage.setItem('tsunagu.token', token),
    p.adminToken,
  );
  const page = await ctx.newPage();
  const fleet: number[] = [];
  const list: number[] = [];
  const jump: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fleet.push(await mark(page, `${p.httpUrl}/`, 'tsunagu:fleet-data'));
    list.push(await mark(page, `${p.httpUrl}/devices`, 'tsunagu:devices-rows'));
    jump.push(await jumpToMiddle(page));
  }
  const f = (xs: number[]): string =>
    `${median(xs).toFixed(0).padStart(6)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;
  console.log(`${n.toLocaleString('en').padStart(8)} devices  fleet overview first data ${f(fleet)}`);
  console.log(`${''.padStart(8)}          device list first rows  ${f(list)}`);
  console.log(`${''.padStart(8)}          list middle rows filled ${f(jump)}`);
  await ctx.close();
}

ensureConsoleBuilt();
const p = await startTestPlatform();
let browser: Browser | undefined;
try {
  for (const name of ['bench-lock', 'bench-meter'])
    await p.app.http.inject({
      method: 'POST',
      url: '/api/v1/device-models',
      headers: p.auth,
      payload: { name },
    });
  browser = await launchBrowser();
  const peer = Math.min(1_000, TOTAL);
  console.log(`registered ${peer} devices in ${(await register(p, 0, peer)).toFixed(0)} ms (YAML import)`);
  await measure(browser, p, peer);
  if (TOTAL > peer) {
    console.log(
      `registered ${TOTAL - peer} more in ${(await register(p, peer, TOTAL)).toFixed(0)} ms (YAML import, batches of ${BATCH})`,
    );
    await measure(browser, p, TOTAL);
  }
} finally {
  await browser?.close();
  await p.close();
}
