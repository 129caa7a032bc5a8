import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { defaultConfig } from '../core/config.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import type { ModuleContext } from '../core/module.js';
import type { ClientInfo } from '../mqtt/api.js';
import { openSqlite } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { Registry as Metrics } from 'prom-client';
import { createRegistry } from './index.js';
import { verifySecret } from './secrets.js';
import { startRegistryHarness } from './testing.js';

const client = (clientId: string, extra: Partial<ClientInfo> = {}): ClientInfo => ({
  clientId,
  remoteAddress: '10.0.0.1',
  protocolVersion: 5,
  keepalive: 30,
  cleanStart: true,
  transport: 'tcp',
  ...extra,
});

test('scrypt verifications are cached per (client, presented secret) and the cache is cleared on credential change', async (t) => {
  let verifications = 0;
  const h = await startRegistryHarness({
    registry: {
      scryptN: 1024,
      verifySecret: (s, stored) => {
        verifications++;
        return verifySecret(s, stored);
      },
    },
  });
  t.after(() => h.close());
  const api = async (method: 'POST', url: string, payload: object = {}) =>
    JSON.parse(
      (await h.http.inject({ method, url: `/api/v1${url}`, headers: h.auth, payload })).body,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
    ) as Record<string, any>;
  await api('POST', '/devices', { id: 'd1' });
  const cred = await api('POST', '/devices/d1/credentials');
  const auth = h.registry.brokerHooks.authenticate!;
  const pw = Buffer.from(cred.secret as string);
  assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true });
  assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true });
  assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true });
  assert.equal(verifications, 1, 'a reconnect storm costs one scrypt');
  const wrong = await auth(client('d1'), 'd1', Buffer.from('nope'));
  assert.equal(wrong.ok, false);
  assert.equal(!wrong.ok && wrong.reasonCode, 0x86);
  await api('POST', `/devices/d1/credentials/${cred.credential.id}/rotate`);
  verifications = 0;
  assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true }, 'old secret within the overlap');
  assert.ok(verifications >= 1, 'the credential change cleared the cache');
  const other = await auth(client('d1'), 'someone-else', pw);
  assert.equal(!other.ok && other.reasonCode, 0x86, 'the user name must match the credential');

  // The hot path: after CONNECT, decisions are synchronous booleans from the client's cache.
  const pub = h.registry.brokerHooks.authorizePublish!;
  assert.equal(pub(client('d1'), 'devices/d1/t'), true);
  assert.equal(pub(client('d1'), 'devices/d2/t'), false);
  assert.equal(pub(client('d1'), 'devices/d2/t'), false);
  assert.equal(h.registry.brokerHooks.authorizeSubscribe!(client('d1'), 'devices/d1/#'), true);
});

test('client certificates: a registered fingerprint authenticates its own device only; revoked ones are refused', async (t) => {
  const h = await startRegistryHarness({ registry: { scryptN: 1024 } });
  t.after(() => h.close());
  const post = (url: string, payload: object = {}) =>
    h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload });
  await post('/devices', { id: 'cam-1' });
  await post('/devices', { id: 'cam-2' });
  const fp = 'a1'.repeat(32);
  const cred = JSON.parse(
    (await post('/devices/cam-1/credentials', { kind: 'certificate', fingerprint: fp })).body,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
  ) as Record<string, any>;
  const auth = h.registry.brokerHooks.authenticate!;
  assert.deepEqual(
    await auth(client('cam-1', { certFingerprint: fp, transport: 'tls' }), undefined, undefined),
    { ok: true },
  );
  const stolen = await auth(client('cam-2', { certFingerprint: fp, transport: 'tls' }), undefined, undefined);
  assert.equal(!stolen.ok && stolen.reasonCode, 0x87);
  const unknown = await auth(
    client('cam-1', { certFingerprint: 'b2'.repeat(32), transport: 'tls' }),
    undefined,
    undefined,
  );
  assert.equal(!unknown.ok && unknown.reasonCode, 0x87);
  await post(`/devices/cam-1/credentials/${cred.credential.id}/revoke`);
  const revoked = await auth(
    client('cam-1', { certFingerprint: fp, transport: 'tls' }),
    undefined,
    undefined,
  );
  assert.equal(revoked.ok, false);
});

function context(db = openSqlite(':memory:'), adminToken?: string): ModuleContext {
  return {
    config: { ...defaultConfig(), adminToken },
    db,
    bus: new EventBus(silentLogger),
    clock: new ManualClock(),
    log: silentLogger,
    broker: new FakeBroker(),
    metrics: new Metrics(),
  };
}

test('first start without --admin-token prints one generated admin token, once', async () => {
  const db = openSqlite(':memory:');
  const lines: string[] = [];
  const reg = await createRegistry(context(db), { announce: (l) => lines.push(l) });
  const first = lines.find((l) => l.startsWith('tsunagu: first admin API token: '));
  assert.ok(first, lines.join('\n'));
  const secret = first.slice('tsunagu: first admin API token: '.length);
  assert.deepEqual(await reg.tokens.verify(secret), { id: 'admin', name: 'bootstrap admin', role: 'admin' });
  assert.equal(await reg.tokens.verify(secret + 'x'), undefined);
  await reg.stop?.();
  const again: string[] = [];
  const reg2 = await createRegistry(context(db), { announce: (l) => again.push(l) });
  assert.deepEqual(again, [], 'not shown again');
  assert.equal((await reg2.tokens.verify(secret))?.role, 'admin');
  await reg2.stop?.();
  await db.close();
});

test('--admin-token is stored hashed as the bootstrap admin; a new value replaces the old one', async () => {
  const db = openSqlite(':memory:');
  const lines: string[] = [];
  const reg = await createRegistry(context(db, 'first-secret-value'), { announce: (l) => lines.push(l) });
  assert.deepEqual(lines, []);
  assert.equal((await reg.tokens.verify('first-secret-value'))?.role, 'admin');
  const row = db.db.prepare('SELECT hash FROM registry_tokens').get() as { hash: string };
  assert.notEqual(row.hash, 'first-secret-value');
  assert.match(row.hash, /^[0-9a-f]{64}$/);
  await reg.stop?.();
  const reg2 = await createRegistry(context(db, 'second-secret-value'));
  assert.equal((await reg2.tokens.verify('second-secret-value'))?.role, 'admin');
  assert.equal(await reg2.tokens.verify('first-secret-value'), undefined);
  await reg2.stop?.();
  await db.close();
});
