/**
 * End to end across a restart: a sent command's deadline and a queued command survive stopping
 * and starting the platform on the same data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely in tests
type Body = Record<string, any>;

async function api(p: TestPlatform, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload === undefined ? {} : { payload: payload as Body }),
  });
  return { status: r.statusCode, body: JSON.parse(r.body) as Body };
}

function connect(url: string, id: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: id,
      username: id,
      password,
      reconnectPeriod: 0,
      protocolVersion: 5,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('pending commands survive a restart: the deadline still fires, the queue still delivers', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tsunagu-cmd-restart-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const clients: MqttClient[] = [];
  t.after(() => clients.forEach((c) => c.end(true)));

  const first = await startTestPlatform({ dataDir });
  let sentId: string;
  let queuedId: string;
  let secretQ: string;
  try {
    for (const id of ['silent-1', 'later-1'])
      assert.equal((await api(first, 'POST', '/devices', { id })).status, 201);
    const secretS = (await api(first, 'POST', '/devices/silent-1/credentials', {})).body.secret as string;
    secretQ = (await api(first, 'POST', '/devices/later-1/credentials', {})).body.secret as string;
    const silent = await connect(first.mqttUrl, 'silent-1', secretS);
    clients.push(silent);
    const sent = await api(first, 'POST', '/devices/silent-1/commands', { name: 'lock', timeoutMs: 1500 });
    assert.equal(sent.body.status, 'sent');
    sentId = sent.body.id as string;
    const queued = await api(first, 'POST', '/devices/later-1/commands', {
      name: 'unlock',
      offline: 'queue',
      expiresInMs: 600_000,
    });
    assert.equal(queued.body.status, 'queued');
    queuedId = queued.body.id as string;
  } finally {
    await first.close();
  }

  const second = await startTestPlatform({ dataDir });
  try {
    assert.equal((await api(second, 'GET', `/commands/${queuedId}`)).body.status, 'queued');
    await until(
      'the reloaded deadline',
      async () => (await api(second, 'GET', `/commands/${sentId}`)).body.status === 'timed_out',
    );
    const later = await connect(second.mqttUrl, 'later-1', secretQ);
    clients.push(later);
    later.on('message', (topic, _payload, packet) => {
      // A redelivered command may still be replying when the platform shuts down: that reply's
      // PUBACK never comes, which is fine here.
      later
        .publishAsync(`${topic}/reply`, '{"status":"ok"}', {
          qos: 1,
          properties: { correlationData: packet.properties?.correlationData ?? Buffer.alloc(0) },
        })
        .catch(() => undefined);
    });
    await later.subscribeAsync('devices/later-1/commands/+', { qos: 1 });
    await until(
      'the queued command',
      async () => (await api(second, 'GET', `/commands/${queuedId}`)).body.status === 'succeeded',
    );
  } finally {
    await second.close();
  }
});
