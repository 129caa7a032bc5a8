/**
 * Debian's Chromium driven by playwright-core for console end-to-end tests (never a downloaded
 * browser). Background networking is off: this machine has no network beyond loopback.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestPlatform } from './platform.js';
import { CONSOLE_DIST } from '../http/index.js';

export const CHROMIUM = process.env.TSUNAGU_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), '.test-artifacts', 'console');

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** Build the console once if it has not been built (a fresh clone in CI). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  execSync('npx vite build --config src/console/vite.config.ts --logLevel warn', { stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** The password of the console users the e2e tests make. */
export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * Sign in to the console the way a person does: a local user (made through the API with the
 * platform's admin token if missing) types e-mail and password on the sign-in page.
 */
export async function consoleSignIn(
  page: Page,
  p: TestPlatform,
  email = 'admin@e2e.test',
  role: 'admin' | 'operator' | 'viewer' = 'admin',
): Promise<void> {
  const r = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: p.auth,
    payload: { email, role, password: TEST_PASSWORD },
  });
  if (r.statusCode !== 201 && r.statusCode !== 409)
    throw new Error(`creating ${email}: ${r.statusCode} ${r.body}`);
  await page.goto(p.httpUrl);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 30_000 });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * Run axe-core (its source injected into the page) against the whole document and fail with a
 * readable list when any violation is serious or critical. `exclude`: CSS selectors to leave out
 * (e.g. a third-party canvas). Returns the minor and moderate ones for the caller to log.
 */
export async function expectNoSeriousA11yViolations(
  page: Page,
  label = page.url(),
  exclude: string[] = [],
): Promise<AxeViolation[]> {
  const axe = (await import('axe-core')).default;
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async (ex: string[]) => {
    const g = globalThis as unknown as {
      axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    const ctx = ex.length ? { include: [['html']], exclude: ex.map((s) => [s]) } : g.document;
    const r = await g.axe.run(ctx, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, exclude);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) {
    const text = serious
      .map(
        (v) =>
          `- ${v.id} (${v.impact}): ${v.help}\n` +
          v.nodes
            .slice(0, 5)
            .map(
              (n) =>
                `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`,
            )
            .join('\n'),
      )
      .join('\n');
    throw new Error(`${label}: ${serious.length} serious/critical accessibility violation(s)\n${text}`);
  }
  return violations.filter((v) => !serious.includes(v));
}

/**
 * The opening of a console browser test: false when there is no Chromium (the test is skipped; a
 * failure under CI=true, which requires it), otherwise builds the console if needed and says go.
 */
export function consoleTestReady(t: TestContext): boolean {
  if (!chromiumAvailable()) {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM} (CI=true requires it)`);
    t.skip(`chromium not found at ${CHROMIUM}`);
    return false;
  }
  ensureConsoleBuilt();
  return true;
}

/** A browser (closed after the test) with one page signed in to `p`'s console as an admin. */
export async function signedInPage(
  t: TestContext,
  p: TestPlatform,
  viewport = { width: 1280, height: 1000 },
): Promise<Page> {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport })).newPage();
  await consoleSignIn(page, p);
  return page;
}

/** A full-page screenshot into .test-artifacts/console/<name>.png. */
export const screenshot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
