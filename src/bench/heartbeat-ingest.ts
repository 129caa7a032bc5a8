/**
 * Heartbeat ingest through the whole app (issue 23's before/after for last-seen): a platform on
 * SQLite, `devices` mqtt.js devices each publishing `perDevice` QoS 1 heartbeats (16 in flight);
 * a publish counts when its PUBACK arrives. Not wired into the CLI; run it with
 * `node --import tsx -e "import('./src/bench/heartbeat-ingest.ts').then((m) => m.benchHeartbeats(50, 400)).then((r) => console.log(JSON.stringify(r)))"`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildApp } from '../app.js';
import { defaultConfig, silentLogger } from '../core/index.js';

export async function benchHeartbeats(
  devices: number,
  perDevice: number,
  window = 16,
): Promise<{ heartbeats: number; perSec: number; cpuPerSec: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-hb-'));
  const app = await buildApp(
    { ...defaultConfig(), mqttPort: 0, httpPort: 0, dataDir, allowAnonymous: true, logLevel: 'silent' },
    { log: silentLogger },
  );
  const clients: mqtt.MqttClient[] = [];
  try {
    const addr = await app.listen();
    for (let d = 0; d < devices; d++)
      clients.push(
        await mqtt.connectAsync(`mqtt://127.0.0.1:${addr.mqtt}`, { clientId: `hb-${d}`, reconnectPeriod: 0 }),
      );
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      clients.map(async (c, d) => {
        for (let i = 0; i < perDevice; i += window) {
          const sends: Promise<unknown>[] = [];
          for (let k = i; k < Math.min(perDevice, i + window); k++)
            sends.push(c.publishAsync(`devices/hb-${d}/heartbeat`, '', { qos: 1 }));
          await Promise.all(sends);
        }
      }),
    );
    const secs = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const heartbeats = devices * perDevice;
    return { heartbeats, perSec: heartbeats / secs, cpuPerSec: heartbeats / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
