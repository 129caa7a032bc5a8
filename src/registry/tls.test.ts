/**
 * Mutual TLS end to end: a client certificate whose SHA-256 fingerprint is registered for a device
 * authenticates that device (and only that client id) over the real TLS listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { listenTls } from '../mqtt/index.js';
import { startRegistryHarness } from './testing.js';
import { makeTestPki } from '../test-support/pki.js';

test('a registered client certificate authenticates its device over TLS; another client id or a revoked certificate is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'registry-tls-'));
  try {
    makeTestPki(dir, ['cam-1']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`openssl not usable: ${(err as Error).message}`);
    return;
  }
  const file = (n: string): Buffer => readFileSync(join(dir, n));
  const h = await startRegistryHarness({ registry: {} });
  const server = await listenTls(h.broker, '127.0.0.1', 0, {
    cert: file('server.pem'),
    key: file('server.key'),
    ca: file('ca.pem'),
  });
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    server.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `mqtts://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (u: string, payload: object = {}) =>
    h.http.inject({ method: 'POST', url: `/api/v1${u}`, headers: h.auth, payload });
  const connect = (clientId: string): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(url, {
        clientId,
        protocolVersion: 5,
        reconnectPeriod: 0,
        key: file('cam-1.key'),
        cert: file('cam-1.pem'),
        ca: file('ca.pem'),
        rejectUnauthorized: true,
      });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', (err) => {
        c.end(true);
        reject(err);
      });
    });

  await post('/devices', { id: 'cam-1' });
  await post('/devices', { id: 'cam-2' });
  const fingerprint = new X509Certificate(file('cam-1.pem')).fingerprint256; // "AB:CD:…" is accepted
  const created = await post('/devices/cam-1/credentials', { kind: 'certificate', fingerprint });
  assert.equal(created.statusCode, 201, created.body);
  const credentialId = (JSON.parse(created.body) as { credential: { id: string } }).credential.id;

  const c = await connect('cam-1');
  await c.publishAsync('devices/cam-1/frame', 'x', { qos: 1 });
  await c.endAsync();
  await assert.rejects(connect('cam-2'), (e: { code?: number }) => e.code === 0x87);
  await post(`/devices/cam-1/credentials/${credentialId}/revoke`);
  await assert.rejects(connect('cam-1'), (e: { code?: number }) => e.code === 0x87);
});
