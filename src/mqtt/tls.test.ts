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
import { listenTls } from './listeners.js';
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
