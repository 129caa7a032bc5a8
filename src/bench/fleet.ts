/**
 * A benchmark's platform and fleet: the whole app in this process on free ports (a throwaway data
 * directory, anonymous MQTT, a known admin token, no connect-rate limit) and one mqtt.js client
 * per id, connected in batches of 100.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { buildApp, type App } from '../app.js';
import { defaultConfig, silentLogger, type BrokerLimits, type Clock } from '../core/index.js';

/** The admin token of every benchmark platform. */
export const BENCH_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface BenchPlatform {
  app: App;
  mqttUrl: string;
  close(): Promise<void>;
}

export async function startBenchPlatform(
  database: string,
  opts: { limits?: Partial<BrokerLimits>; clock?: Clock } = {},
): Promise<BenchPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-'));
  const base = defaultConfig();
  const app = await buildApp(
    {
      ...base,
      mqttPort: 0,
      httpPort: 0,
      dataDir,
      database,
      logLevel: 'silent',
      allowAnonymous: true,
      adminToken: BENCH_TOKEN,
      limits: { ...base.limits, connectRatePerIp: 1_000_000, ...opts.limits },
    },
    { log: silentLogger, ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  const addr = await app.listen();
  return {
    app,
    mqttUrl: `mqtt://127.0.0.1:${addr.mqtt}`,
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function connectFleet(
  url: string,
  ids: string[],
  opts: IClientOptions = {},
): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  // Batches keep the connect burst polite on a shared machine.
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100).map(
      (id) =>
        new Promise<MqttClient>((resolve, reject) => {
          const c = mqtt.connect(url, {
            clientId: id,
            protocolVersion: 4,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            ...opts,
          });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}
