/**
 * End-to-end ingest benchmark (the `mqtt` row of `tsunagu bench ingest`; it lives in bench/ because it
 * needs the whole app): a whole platform (embedded broker, registry, SQLite) on free ports,
 * many mqtt.js devices publishing scooter telegrams at QoS 1 through the model's CSV decoder. A
 * publish counts when its PUBACK arrives, i.e. when the telegram is decoded and durable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildApp } from '../app.js';
import { defaultConfig, silentLogger } from '../core/index.js';
import { crc16Ccitt, type MqttIngestBenchResult } from '../telemetry/index.js';

const ADMIN = 'bench-admin-token-0123456789abcdef';

function telegram(i: number): string {
  const body = `2,${(i % 25) + 0.5},1,3.2,,,,,0000,0000,16B0,02092053,30&${i % 100},4,55,1,52000,4100,70,0,0,1,,1.5&-0.25&2,97`;
  return `${body},${crc16Ccitt(Buffer.from(body)).toString(16).padStart(4, '0')}`;
}

export async function benchMqttIngest(
  devices: number,
  perDevice: number,
  window = 16,
): Promise<MqttIngestBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-bench-mqtt-'));
  const app = await buildApp(
    {
      ...defaultConfig(),
      mqttPort: 0,
      httpPort: 0,
      dataDir,
      allowAnonymous: true,
      logLevel: 'silent',
      adminToken: ADMIN,
    },
    { log: silentLogger },
  );
  const clients: mqtt.MqttClient[] = [];
  try {
    const addr = await app.listen();
    const call = async (url: string, payload: unknown, type = 'application/json'): Promise<void> => {
      const r = await app.http.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type },
        payload: payload as string,
      });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
    };
    await call(
      '/decoders/import',
      readFileSync(new URL('../telemetry/fixtures/scooter-telegram.yaml', import.meta.url), 'utf8'),
      'application/yaml',
    );
    await call('/device-models', { name: 'bench-scooter', decoder: 'scooter-telegram-v1' });
    for (let d = 0; d < devices; d++) await call('/devices', { id: `bench-${d}`, model: 'bench-scooter' });
    for (let d = 0; d < devices; d++)
      clients.push(
        await mqtt.connectAsync(`mqtt://127.0.0.1:${addr.mqtt}`, {
          clientId: `bench-${d}`,
          reconnectPeriod: 0,
        }),
      );

    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      clients.map(async (c, d) => {
        for (let i = 0; i < perDevice; i += window) {
          const sends: Promise<unknown>[] = [];
          for (let k = i; k < Math.min(perDevice, i + window); k++)
            sends.push(c.publishAsync(`devices/bench-${d}/telemetry`, telegram(k), { qos: 1 }));
          await Promise.all(sends);
        }
      }),
    );
    const secs = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const telegrams = devices * perDevice;
    return {
      devices,
      telegrams,
      telegramsPerSec: telegrams / secs,
      pointsPerSec: (telegrams * 19) / secs, // the scooter schema yields 19 points per telegram without a GPS fix
      cpuTelegramsPerSec: telegrams / ((cpu.user + cpu.system) / 1e6),
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
