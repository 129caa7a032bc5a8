/**
 * Debian's Chromium driven by playwright-core for console end-to-end tests (never a downloaded
 * browser). Background networking is off: this machine has no network beyond loopback.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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
