// MQTT over TLS with client certificates: the SHA-256 fingerprint reaches ClientInfo.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import type { ClientInfo } from './api.js';
import { listenTls, listenWss } from './listeners.js';
import { startTestBroker } from './test-helpers.js';
import { makeTestPki } from '../test-support/pki.js';

test('listenTls with a CA requires a client certificate and reports its SHA-256 fingerprint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeTestPki(dir, ['client']);
  const certs = {
    ca: pki.ca,
    serverKey: pki.server.key,
    serverCert: pki.server.cert,
    clientKey: pki.clients.client!.key,
    clientCert: pki.clients.client!.cert,
  };
  const tb = await startTestBroker({ listen: false });
  t.after(() => tb.close());
  const server = await listenTls(tb.broker, '127.0.0.1', 0, {
    cert: certs.serverCert,
    key: certs.serverKey,
    ca: certs.ca,
  });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const seen: ClientInfo[] = [];
  tb.broker.setHooks({ onConnect: (c) => seen.push(c) });

  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    clientId: 'tls-dev',
    ca: certs.ca,
    key: certs.clientKey,
    cert: certs.clientCert,
    servername: 'localhost',
    reconnectPeriod: 0,
  });
  await client.endAsync();
  const expected = new X509Certificate(certs.clientCert).fingerprint256.replace(/:/g, '').toLowerCase();
  assert.equal(seen[0]?.transport, 'tls');
  assert.equal(seen[0]?.certFingerprint, expected);

  // Without a client certificate the handshake fails.
  await assert.rejects(
    mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
      clientId: 'nocert',
      ca: certs.ca,
      servername: 'localhost',
      reconnectPeriod: 0,
      connectTimeout: 2000,
    }),
  );
});

test('listenWss: MQTT over secure WebSocket with client certificates, same auth inputs as mqtts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-wss-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeTestPki(dir, ['client']);
  const tb = await startTestBroker({ listen: false });
  t.after(() => tb.close());
  const server = await listenWss(tb.broker, '127.0.0.1', 0, {
    cert: pki.server.cert,
    key: pki.server.key,
    ca: pki.ca,
  });
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const seen: ClientInfo[] = [];
  tb.broker.setHooks({ onConnect: (c) => seen.push(c) });

  const tlsOpts = {
    ca: pki.ca,
    key: pki.clients.client!.key,
    cert: pki.clients.client!.cert,
    servername: 'localhost',
    reconnectPeriod: 0,
  };
  const sub = await mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt`, {
    ...tlsOpts,
    clientId: 'wss-sub',
    protocolVersion: 5,
  });
  await sub.subscribeAsync('wss/t', { qos: 1 });
  const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
  const pub = await mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt`, { ...tlsOpts, clientId: 'wss-pub' });
  await pub.publishAsync('wss/t', 'over wss', { qos: 1 });
  assert.equal(await got, 'over wss');
  await pub.endAsync();
  await sub.endAsync();
  const expected = new X509Certificate(pki.clients.client!.cert).fingerprint256
    .replace(/:/g, '')
    .toLowerCase();
  assert.equal(seen[0]?.transport, 'wss');
  assert.equal(seen[0]?.certFingerprint, expected);

  // Without a client certificate the TLS handshake fails before any WebSocket upgrade.
  await assert.rejects(
    mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt`, {
      clientId: 'nocert',
      ca: pki.ca,
      servername: 'localhost',
      reconnectPeriod: 0,
      connectTimeout: 2000,
    }),
  );
});
