/**
 * A whole platform for end-to-end tests: temporary data directory, every listener on a free port,
 * silent logs, an admin token. `close()` shuts it down and removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type ListenAddresses } from '../app.js';
import type { ClusterOptions } from '../cluster/index.js';
import { type Clock, defaultConfig, silentLogger, type TsunaguConfig } from '../core/index.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestPlatform {
  app: App;
  addresses: ListenAddresses;
  mqttUrl: string;
  httpUrl: string;
  dataDir: string;
  adminToken: string;
  /** Headers with the admin bearer token, for `app.http.inject`. */
  auth: { authorization: string };
  close(): Promise<void>;
}

export async function startTestPlatform(
  overrides: Partial<TsunaguConfig> = {},
  opts: { clock?: Clock; keepDataDir?: boolean; cluster?: ClusterOptions } = {},
): Promise<TestPlatform> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'tsunagu-test-'));
  const config: TsunaguConfig = {
    ...defaultConfig(),
    host: '127.0.0.1',
    mqttPort: 0,
    httpPort: 0,
    logLevel: 'silent',
    adminToken: TEST_ADMIN_TOKEN,
    ...overrides,
    dataDir,
  };
  const app = await buildApp(config, {
    log: silentLogger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
  });
  const addresses = await app.listen();
  return {
    app,
    addresses,
    mqttUrl: `mqtt://127.0.0.1:${addresses.mqtt}`,
    httpUrl: `http://127.0.0.1:${addresses.http}`,
    dataDir,
    adminToken: TEST_ADMIN_TOKEN,
    auth: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    async close() {
      await app.close();
      if (!opts.keepDataDir && overrides.dataDir === undefined)
        rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
