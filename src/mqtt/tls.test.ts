// MQTT over TLS with client certificates: the SHA-256 fingerprint reaches ClientInfo.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import type { ClientInfo } from './api.js';
import { listenTls } from './listeners.js';
import { startTestBroker } from './test-helpers.js';

function makeCerts(
  dir: string,
): Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', Buffer> {
  const o = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  o(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  for (const name of ['server', 'client']) {
    const cn = name === 'server' ? 'localhost' : 'device-1';
    o(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    o(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
    );
  }
  const r = (f: string): Buffer => readFileSync(join(dir, f));
  return {
    ca: r('ca.pem'),
    serverKey: r('server.key'),
    serverCert: r('server.pem'),
    clientKey: r('client.key'),
    clientCert: r('client.pem'),
  };
}

test('listenTls with a CA requires a client certificate and reports its SHA-256 fingerprint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certs = makeCerts(dir);
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
