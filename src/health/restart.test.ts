/**
 * Issue 20 end to end: 100 real mqtt.js devices heartbeat against a `tsunagu start` child process
 * that is restarted 10 times on the same data directory (SIGTERM and kill -9, alternating). No
 * device may be taken out of service and no notification may reach the local webhook sink. Then
 * one device goes silent for real: it is taken out and its webhook arrives (the sink works, so the
 * zero above means something). Intervals are scaled down (1.5 s + 1.5 s grace, a heartbeat every
 * 500 ms) to keep the test short; the test waits for outcomes and never asserts durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPlatformProcess as startPlatform } from '../test-support/cli-process.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startEndpoint } from '../notify/test-fixtures.js';
import { freePort } from '../test-support/ports.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;
const DEVICES = 100;
const RESTARTS = 10;
const HB = { intervalMs: 1500, graceMs: 1500, signOfLife: 'heartbeat' };
const TOKEN = 'restart-test-token-0123456789abcdef';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('100 heartbeating devices, 10 restarts (SIGTERM and kill -9): no service-out, no notification', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-health-restart-'));
  const sink = await startEndpoint(() => 200);
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const args = [
    '--allow-anonymous',
    '--host',
    '127.0.0.1',
    '--mqtt-port',
    String(mqttPort),
    '--http-port',
    String(httpPort),
    '--data-dir',
    dataDir,
    '--admin-token',
    TOKEN,
  ];
  const base = `http://127.0.0.1:${httpPort}`;
  const clients: MqttClient[] = [];
  const beats: NodeJS.Timeout[] = [];
  let child = startPlatform(args);
  t.after(async () => {
    beats.forEach(clearInterval);
    for (const c of clients) c.end(true);
    child.child.kill('SIGKILL');
    await child.exited;
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: Json): Promise<Json> => {
    const r = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Json);
  };
  const ready = async (): Promise<void> => {
    for (let i = 0; i < 600; i++) {
      const up = await fetch(`${base}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) return;
      if (child.child.exitCode !== null) assert.fail(`tsunagu start exited: ${child.output()}`);
      await sleep(100);
    }
    assert.fail(`not ready: ${child.output()}`);
  };
  await ready();

  const channel = await api('POST', '/notification-channels', {
    name: 'sink',
    type: 'webhook',
    url: sink.url,
    secret: 'restart-test-secret-0123456789',
    groupWindowMs: 0,
  });
  await api('POST', '/notification-routes', {
    name: 'service state',
    channelIds: [channel.id],
    kinds: ['service-state.changed'],
  });
  await api('POST', '/device-models', { name: 'scooter', heartbeat: HB });
  const ids = Array.from({ length: DEVICES }, (_, i) => `scooter-${String(i).padStart(3, '0')}`);

  // Devices as the issue describes them: mqtt.js reconnecting every second, heartbeating while
  // connected. Each connects right after it is registered, so none is late before the restarts.
  const silent = new Set<string>();
  for (const id of ids) {
    await api('POST', '/devices', { id, model: 'scooter' });
    const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
      clientId: id,
      protocolVersion: 5,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    c.on('error', () => undefined); // connection refused while the platform is down: reconnect
    const heartbeat = (): void => {
      if (c.connected && !silent.has(id)) c.publish(`devices/${id}/heartbeat`, '{}', { qos: 0 });
    };
    c.on('connect', heartbeat);
    beats.push(setInterval(heartbeat, 500));
    clients.push(c);
  }
  const allConnected = async (): Promise<void> => {
    for (let i = 0; i < 300 && clients.some((c) => !c.connected); i++) await sleep(100);
    assert.ok(
      clients.every((c) => c.connected),
      'every device reconnected',
    );
  };
  await allConnected();
  for (let i = 0; i < RESTARTS; i++) {
    const signal = i % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
    child.child.kill(signal);
    const code = await child.exited;
    if (signal === 'SIGTERM') assert.equal(code, 0, `clean shutdown: ${child.output()}`);
    await sleep(500); // the platform stays down a while
    child = startPlatform(args);
    await ready(); // ready just after the listeners opened
    const openedBy = Date.now();
    await allConnected();
    // Past every post-restart deadline (listeners open + interval + grace), plus the 250 ms buckets.
    await sleep(Math.max(0, openedBy + HB.intervalMs + HB.graceMs + 500 - Date.now()));
  }

  const fleet = await api('GET', '/fleet/health');
  assert.equal(fleet.byState.in_service, DEVICES, JSON.stringify(fleet));
  const states = await Promise.all(ids.map((id) => api('GET', `/devices/${id}/service-state`)));
  const outs = states
    .filter((s) => s.history.length > 0)
    .map((s) => `${s.deviceId}: ${JSON.stringify(s.history)}`);
  assert.deepEqual(outs, [], 'no device was ever taken out of service');
  assert.equal(sink.received.length, 0, 'no notification was sent');
  const downtime = (await api('GET', '/health/platform-downtime?limit=100')) as unknown as Json[];
  assert.equal(downtime.length, RESTARTS, 'each restart is recorded as platform downtime');
  assert.deepEqual(
    downtime.map((d) => d.clean).reverse(),
    Array.from({ length: RESTARTS }, (_, i) => i % 2 === 0),
    'SIGTERM restarts are clean, kill -9 ones are not',
  );

  const metrics = await (await fetch(`${base}/metrics`)).text();
  const last = /^tsunagu_health_platform_downtime_seconds ([0-9.e+-]+)$/m.exec(metrics);
  assert.ok(last && Number(last[1]) > 0, 'the last downtime is a metric');

  // The control: a device that really goes silent is taken out and its webhook arrives.
  silent.add(ids[0]!);
  for (let i = 0; i < 200 && !sink.received.some((r) => r.raw.includes(ids[0]!)); i++) await sleep(100);
  assert.equal((await api('GET', `/devices/${ids[0]}/service-state`)).state, 'out_of_service');
  assert.ok(
    sink.received.some((r) => r.raw.includes(ids[0]!)),
    'the sink received the real service-out',
  );
  assert.ok(
    sink.received.every((r) => r.raw.includes(ids[0]!)),
    'and nothing else',
  );
});
