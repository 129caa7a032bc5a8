/**
 * `tsunagu bench console`: the console's fleet overview, device list and map in Debian's chromium
 * (playwright-core, a devDependency) with a large fleet — 1,000 devices first (the peer run), then
 * 100,000 — each with a position and latest values, 1 % taken out of service by hand.
 *
 *   tsunagu bench console [--devices 100000] [--runs 3] [--chromium /usr/bin/chromium]
 *
 * Devices are registered through the registry's YAML import (POST /api/v1/import, batches of 5,000)
 * and their latest values through HTTP ingest (POST /devices/:id/telemetry, 200 in flight), so every
 * module sees them as in production. Per page and run:
 * - first content: the performance mark the page sets when its first data is on screen
 *   (`tsunagu:fleet-data`, `tsunagu:devices-rows`, `tsunagu:map-ready`), ms since navigation start;
 * - time to interactive: the end of the last long task (> 50 ms, PerformanceObserver) after first
 *   content, once the main thread has been quiet for 1 s (first content when there was none);
 * - an interaction: device list, scroll to the middle until those rows are filled in; map, zoom in
 *   one level until the map is idle again; fleet, none;
 * - JS heap used after a forced garbage collection (CDP `Performance.getMetrics`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp, type App } from '../app.js';
import { defaultConfig, parseCliOptions, silentLogger } from '../core/index.js';
import { CONSOLE_DIST } from '../http/index.js';

export interface ConsoleBenchOptions {
  devices: number;
  runs: number;
  chromium: string;
}

const TOKEN = 'bench-admin-token-0123456789abcdef';
const EMAIL = 'bench@console.bench';
const PASSWORD = 'correct horse battery staple';
const BATCH = 5_000;
const auth = { authorization: `Bearer ${TOKEN}` };

async function inject(app: App, method: 'POST' | 'PUT', url: string, payload: unknown, yaml = false) {
  const r = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...auth, ...(yaml ? { 'content-type': 'application/yaml' } : {}) },
    payload: payload as string,
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
}

const deviceId = (i: number): string => `dev-${String(i).padStart(6, '0')}`;

/** Register devices [from, to), write a position and latest values for each, take 1 % out of service. */
async function seed(app: App, from: number, to: number): Promise<{ register: number; values: number }> {
  const t0 = performance.now();
  for (let start = from; start < to; start += BATCH) {
    const devices = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++)
      devices.push({
        id: deviceId(i),
        model: i % 2 ? 'bench-lock' : 'bench-meter',
        name: `Device ${i}`,
        tags: [`site-${i % 50}`],
      });
    await inject(app, 'POST', '/import', stringify({ apiVersion: 'tsunagu/v1', devices }), true);
  }
  const t1 = performance.now();
  // Positions spread over Europe on a jittered grid (deterministic), latest battery and firmware.
  let next = from;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < to; i = next++) {
      const lat = 36 + ((i * 7919) % 10_000) / 500 + (i % 13) / 100;
      const lon = -9 + ((i * 104_729) % 10_000) / 312 + (i % 7) / 100;
      await inject(app, 'POST', `/devices/${deviceId(i)}/telemetry`, {
        lat,
        lon,
        battery: i % 100,
        firmware: `1.${i % 4}.0`,
      });
      if (i % 100 === 0)
        await inject(app, 'PUT', `/devices/${deviceId(i)}/service-state`, {
          state: 'out_of_service',
          note: 'bench: taken out by hand',
        });
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  return { register: t1 - t0, values: performance.now() - t1 };
}

interface El {
  scrollTop: number;
  scrollHeight: number;
  textContent: string | null;
}
interface Globals {
  document: { querySelector(s: string): El | null; querySelectorAll(s: string): Iterable<El> };
  requestAnimationFrame: (cb: () => void) => void;
  __longTasks: { end: number }[];
}

/** Collect long tasks from the page's start (the observer is installed before any script runs). */
function installLongTaskObserver(): void {
  const g = globalThis as unknown as Globals;
  g.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) g.__longTasks.push({ end: e.startTime + e.duration });
  }).observe({ type: 'longtask' as never, buffered: true });
}

interface Sample {
  first: number;
  tti: number;
  interaction?: number;
  heapMb: number;
}

async function measurePage(page: Page, url: string, mark: string, interact?: () => Promise<number>) {
  await page.goto(url);
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, mark, { timeout: 180_000 });
  const first = await page.evaluate((n) => performance.getEntriesByName(n)[0]!.startTime, mark);
  // Quiet window: 1 s with no new long task.
  const tti = await page.evaluate(async (start: number) => {
    const g = globalThis as unknown as Globals;
    for (;;) {
      const seen = g.__longTasks.length;
      await new Promise((r) => setTimeout(r, 1000));
      if (g.__longTasks.length === seen) break;
    }
    return Math.max(start, ...g.__longTasks.map((t) => t.end));
  }, first);
  const interaction = interact ? await interact() : undefined;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  return { first, tti, ...(interaction !== undefined ? { interaction } : {}), heapMb: heap / 2 ** 20 };
}

/** Scroll the device list to its middle; time until the rows there have content (not `…`). */
const jumpToMiddle = (page: Page): Promise<number> =>
  page.evaluate(async () => {
    const { document, requestAnimationFrame } = globalThis as unknown as Globals;
    const list = document.querySelector('.vlist')!;
    const t0 = performance.now();
    list.scrollTop = list.scrollHeight / 2;
    for (;;) {
      await new Promise<void>((r) => requestAnimationFrame(r));
      const rows = [...document.querySelectorAll('.vlist [role=row]:not(.head)')];
      if (rows.length > 0 && rows.every((r) => !r.textContent?.includes('…'))) return performance.now() - t0;
      if (performance.now() - t0 > 120_000) throw new Error('rows never filled in');
    }
  });

/** Press the map's zoom-in button; time until the map is idle again with its markers placed. */
async function zoomIn(page: Page): Promise<number> {
  const before = await page.evaluate(() => performance.getEntriesByName('tsunagu:map-idle').length);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Zoom in', exact: true }).click();
  await page.waitForFunction((n) => performance.getEntriesByName('tsunagu:map-idle').length > n, before, {
    timeout: 60_000,
  });
  const end = await page.evaluate(() => performance.getEntriesByName('tsunagu:map-idle').at(-1)!.startTime);
  return end - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cell = (xs: number[], unit = 'ms', digits = 0): string =>
  `${median(xs).toFixed(digits)} ${unit} (${xs.map((x) => x.toFixed(digits)).join(', ')})`;

async function measure(ctx: BrowserContext, base: string, n: number, runs: number): Promise<string[]> {
  const page = await ctx.newPage();
  const pages: [string, string, string, ((p: Page) => Promise<number>) | undefined][] = [
    ['fleet overview', '/', 'tsunagu:fleet-data', undefined],
    ['device list', '/devices', 'tsunagu:devices-rows', jumpToMiddle],
    ['map', '/map', 'tsunagu:map-ready', zoomIn],
  ];
  const rows: string[] = [];
  for (const [label, path, mark, act] of pages) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++)
      samples.push(await measurePage(page, `${base}${path}`, mark, act ? () => act(page) : undefined));
    const inter = samples.flatMap((s) => (s.interaction !== undefined ? [s.interaction] : []));
    rows.push(
      `| ${n.toLocaleString('en')} | ${label} | ${cell(samples.map((s) => s.first))} | ` +
        `${cell(samples.map((s) => s.tti))} | ${inter.length ? cell(inter) : '—'} | ` +
        `${cell(
          samples.map((s) => s.heapMb),
          'MB',
          1,
        )} |`,
    );
    console.log(rows.at(-1));
  }
  await page.close();
  return rows;
}

/** Server time and size of the map's data: the old six-request load against `GET /fleet/positions`. */
async function timeMapRequests(url: string): Promise<string> {
  const get = async (path: string): Promise<{ ms: number; bytes: number; body: Record<string, unknown> }> => {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/v1${path}`, { headers: auth });
    const text = await r.text();
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return {
      ms: performance.now() - t0,
      bytes: text.length,
      body: JSON.parse(text) as Record<string, unknown>,
    };
  };
  const t0 = performance.now();
  let bytes = 0;
  const parts: string[] = [];
  for (const m of ['lat', 'lon', 'latitude', 'longitude']) {
    const r = await get(`/telemetry/latest?metric=${m}&limit=100000`);
    bytes += r.bytes;
    parts.push(`latest ${m} ${r.ms.toFixed(0)} ms ${(r.bytes / 1e6).toFixed(1)} MB`);
  }
  for (const [path, size] of [
    ['/fleet/out-of-service?limit=10000', 10_000],
    ['/devices?online=true&limit=1000', 1000],
  ] as const) {
    const p0 = performance.now();
    const first = await get(`${path}&offset=0`);
    bytes += first.bytes;
    for (let o = size; o < Number(first.body.total ?? 0); o += size)
      bytes += (await get(`${path}&offset=${o}`)).bytes;
    parts.push(`${path.split('?')[0]} ${(performance.now() - p0).toFixed(0)} ms`);
  }
  const before = performance.now() - t0;
  const now = await get('/fleet/positions?limit=200000');
  return (
    `map data, one after another: before ${before.toFixed(0)} ms ${(bytes / 1e6).toFixed(1)} MB (${parts.join(', ')}); ` +
    `GET /fleet/positions ${now.ms.toFixed(0)} ms ${(now.bytes / 1e6).toFixed(1)} MB`
  );
}

export async function benchConsole(opts: Partial<ConsoleBenchOptions> = {}): Promise<string[]> {
  const total = opts.devices ?? 100_000;
  const runs = opts.runs ?? 3;
  if (!existsSync(join(CONSOLE_DIST, 'index.html')))
    throw new Error(`the console is not built (${CONSOLE_DIST}): run npm run build:console first`);
  const { chromium } = await import('playwright-core');
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-console-'));
  const base = defaultConfig();
  const app = await buildApp(
    { ...base, mqttPort: 0, httpPort: 0, dataDir, logLevel: 'silent', adminToken: TOKEN },
    { log: silentLogger },
  );
  let browser: Browser | undefined;
  const rows: string[] = [];
  try {
    const addr = await app.listen();
    const url = `http://127.0.0.1:${addr.http}`;
    for (const name of ['bench-lock', 'bench-meter']) await inject(app, 'POST', '/device-models', { name });
    await inject(app, 'POST', '/users', { email: EMAIL, role: 'admin', password: PASSWORD });
    browser = await chromium.launch({
      executablePath: opts.chromium ?? process.env.TSUNAGU_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(installLongTaskObserver);
    const login = await ctx.request.post(`${url}/api/v1/auth/login`, {
      data: { email: EMAIL, password: PASSWORD },
    });
    if (!login.ok()) throw new Error(`sign-in: ${login.status()} ${await login.text()}`);
    console.log('| devices | page | first content | time to interactive | interaction | JS heap |');
    console.log('| ------: | ---- | ------------: | ------------------: | ----------: | ------: |');
    let done = 0;
    for (const n of [...new Set([Math.min(1_000, total), total])]) {
      const t = await seed(app, done, n);
      console.error(
        `seeded ${n - done} devices: registered in ${(t.register / 1000).toFixed(1)} s (YAML import), ` +
          `positions and latest values in ${(t.values / 1000).toFixed(1)} s (HTTP ingest)`,
      );
      done = n;
      console.error(await timeMapRequests(url));
      rows.push(...(await measure(ctx, url, n, runs)));
    }
    await ctx.close();
  } finally {
    await browser?.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

export async function runConsoleBenchCli(args: string[]): Promise<void> {
  const o = parseCliOptions(args) as Partial<Record<keyof ConsoleBenchOptions, unknown>>;
  await benchConsole({
    ...(o.devices !== undefined ? { devices: Number(o.devices) } : {}),
    ...(o.runs !== undefined ? { runs: Number(o.runs) } : {}),
    ...(typeof o.chromium === 'string' ? { chromium: o.chromium } : {}),
  });
}
