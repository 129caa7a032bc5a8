import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startTestPlatform } from '../test-support/platform.js';

test('--acl-file narrows what clients may do, on top of the registry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'acl-'));
  const file = join(dir, 'acl');
  writeFileSync(file, 'pattern readwrite devices/%c/#\npattern deny write devices/%c/locked\n');
  const p = await startTestPlatform({ allowAnonymous: true, aclFile: file });
  t.after(() => p.close());
  const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'dev1', protocolVersion: 5, reconnectPeriod: 0 });
  t.after(() => c.endAsync());
  // Allowed by both the registry (anonymous: everything) and the file.
  const ok = await c.publishAsync('devices/dev1/telemetry', '{}', { qos: 1 });
  assert.equal((ok as { reasonCode?: number } | undefined)?.reasonCode ?? 0, 0);
  // [MQTT-3.4.2] PUBACK 0x87 Not authorized: the file denies it although the registry allows it.
  const notAuthorized = (e: unknown): boolean => (e as { code?: number }).code === 0x87;
  await assert.rejects(c.publishAsync('devices/dev1/locked', '{}', { qos: 1 }), notAuthorized);
  await assert.rejects(c.publishAsync('devices/dev2/telemetry', '{}', { qos: 1 }), notAuthorized);
  // SUBACK 0x87: the filter could match other devices' topics.
  await assert.rejects(c.subscribeAsync('devices/+/telemetry', { qos: 1 }), /Not authorized/);
  const own = await c.subscribeAsync('devices/dev1/#', { qos: 1 });
  assert.equal(own[0]?.qos, 1);
});
