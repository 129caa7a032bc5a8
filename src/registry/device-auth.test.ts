import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientInfo } from '../mqtt/api.js';
import { openSqlite } from '../store/index.js';
import { silentLogger, systemClock } from '../core/index.js';
import { DeviceAuth } from './device-auth.js';
import { CachedDirectory } from './directory.js';
import { hashSecret, newDeviceSecret, verifySecret } from './secrets.js';
import { openRegistryStore } from './registry-store.js';
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

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON bodies

async function counted(opts: { authLimits?: false } = {}) {
  const calls = { slow: 0 };
  const db = openSqlite(':memory:');
  const start = () =>
    startRegistryHarness({
      db,
      registry: {
        ...opts,
        verifySecret: (s, stored) => {
          calls.slow++;
          return verifySecret(s, stored);
        },
      },
    });
  const h = await start();
  const api = async (url: string, payload: object = {}): Promise<Json> =>
    JSON.parse(
      (await h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload })).body,
    ) as Json;
  const store = await openRegistryStore(db);
  /** A password credential as it was stored before the fast scheme: an scrypt hash. */
  const legacy = async (deviceId: string, secret: string, username = deviceId): Promise<string> => {
    const id = `cred_legacy_${deviceId}`;
    await store.putCredential({
      id,
      deviceId,
      kind: 'password',
      username,
      secretHash: await hashSecret(secret, 1024),
      fingerprint: null,
      createdAt: 1,
      expiresAt: null,
      revokedAt: null,
    });
    return id;
  };
  const hashOf = async (credentialId: string, deviceId: string): Promise<string | null | undefined> =>
    (await store.listCredentials(deviceId)).find((c) => c.id === credentialId)?.secretHash;
  return { h, db, api, legacy, hashOf, calls, start };
}

test('new password credentials: 192-bit generated secret, stored as sha256$, verified without scrypt', async (t) => {
  const { h, api, hashOf, calls, db } = await counted();
  t.after(async () => {
    await h.close();
    await db.close();
  });
  await api('/devices', { id: 'd1' });
  const cred = await api('/devices/d1/credentials');
  assert.match(cred.secret as string, /^[A-Za-z0-9_-]{32}$/, '24 random bytes, base64url');
  assert.match((await hashOf(cred.credential.id, 'd1'))!, /^sha256\$[A-Za-z0-9_-]{43}$/);
  const auth = h.registry.brokerHooks.authenticate!;
  const pw = Buffer.from(cred.secret as string);
  for (let i = 0; i < 3; i++) assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true });
  const wrong = await auth(client('d1'), 'd1', Buffer.from('nope'));
  assert.equal(!wrong.ok && wrong.reasonCode, 0x86);
  assert.equal(calls.slow, 0, 'no scrypt at all');

  await api(`/devices/d1/credentials/${cred.credential.id}/rotate`);
  assert.deepEqual(await auth(client('d1'), 'd1', pw), { ok: true }, 'old secret within the overlap');
  const other = await auth(client('d1'), 'someone-else', pw);
  assert.equal(!other.ok && other.reasonCode, 0x86, 'the user name must match the credential');
  const bad = await h.http.inject({
    method: 'POST',
    url: '/api/v1/devices/d1/credentials',
    headers: h.auth,
    payload: { username: 'a?b' },
  });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /body\.username/);

  // The hot path: after CONNECT, decisions are synchronous booleans from the client's cache.
  const pub = h.registry.brokerHooks.authorizePublish!;
  assert.equal(pub(client('d1'), 'devices/d1/t'), true);
  assert.equal(pub(client('d1'), 'devices/d2/t'), false);
  assert.equal(h.registry.brokerHooks.authorizeSubscribe!(client('d1'), 'devices/d1/#'), true);
});

test('a legacy scrypt credential still works, is re-hashed to sha256$ on its first CONNECT, and survives a restart fast', async (t) => {
  const { h, db, api, legacy, hashOf, calls, start } = await counted();
  t.after(() => db.close());
  await api('/devices', { id: 'old-1' });
  const secret = newDeviceSecret();
  const credId = await legacy('old-1', secret);
  assert.match((await hashOf(credId, 'old-1'))!, /^scrypt\$/);
  const auth = h.registry.brokerHooks.authenticate!;
  const wrong = await auth(client('old-1'), 'old-1', Buffer.from(newDeviceSecret()));
  assert.equal(!wrong.ok && wrong.reasonCode, 0x86);
  assert.match((await hashOf(credId, 'old-1'))!, /^scrypt\$/, 'a wrong secret migrates nothing');
  calls.slow = 0;
  assert.deepEqual(await auth(client('old-1'), 'old-1', Buffer.from(secret)), { ok: true });
  assert.equal(calls.slow, 1);
  const migrated = (await hashOf(credId, 'old-1'))!;
  assert.match(migrated, /^sha256\$/, 'written back with the fast scheme');
  assert.deepEqual(await auth(client('old-1'), 'old-1', Buffer.from(secret)), { ok: true });
  await h.close();

  // A new process (cold caches) on the same database: no scrypt any more.
  const h2 = await start();
  t.after(() => h2.close());
  calls.slow = 0;
  assert.deepEqual(
    await h2.registry.brokerHooks.authenticate!(client('old-1'), 'old-1', Buffer.from(secret)),
    {
      ok: true,
    },
  );
  assert.equal(calls.slow, 0);
});

test('a secret a person chose stays under scrypt: verified once, cached, never re-hashed', async (t) => {
  const { h, db, api, legacy, hashOf, calls } = await counted();
  t.after(async () => {
    await h.close();
    await db.close();
  });
  await api('/devices', { id: 'pw-1' });
  const credId = await legacy('pw-1', 'correct horse battery staple');
  const auth = h.registry.brokerHooks.authenticate!;
  const pw = Buffer.from('correct horse battery staple');
  for (let i = 0; i < 3; i++) assert.deepEqual(await auth(client('pw-1'), 'pw-1', pw), { ok: true });
  assert.equal(calls.slow, 1, 'one scrypt, then the cache');
  assert.match((await hashOf(credId, 'pw-1'))!, /^scrypt\$/);
});

test('wrong-password flood for one id from one address: few verifications, the right secret from another address still gets in', async (t) => {
  const { h, db, api, legacy, calls } = await counted();
  t.after(async () => {
    await h.close();
    await db.close();
  });
  await api('/devices', { id: 'victim' });
  const secret = 'a person chose this one'; // scrypt: the expensive case the limiter protects
  await legacy('victim', secret);
  const auth = h.registry.brokerHooks.authenticate!;
  const attacker = client('victim', { remoteAddress: '203.0.113.9' });
  const results = await Promise.all(
    Array.from({ length: 400 }, async () => auth(attacker, 'victim', Buffer.from('guess'))),
  );
  const codes = new Map<number, number>();
  for (const r of results) if (!r.ok) codes.set(r.reasonCode, (codes.get(r.reasonCode) ?? 0) + 1);
  assert.equal(codes.get(0x86), 5, 'five wrong secrets verified');
  assert.equal(codes.get(0x9f), 395, 'the rest refused before any hash: 0x9F connection rate exceeded');
  assert.equal(calls.slow, 5);
  const v311 = await auth({ ...attacker, protocolVersion: 4 }, 'victim', Buffer.from(secret));
  assert.equal(
    !v311.ok && v311.reasonCode,
    0x87,
    '3.1.1: not authorized (return code 5), even with the right secret',
  );
  assert.deepEqual(
    await auth(client('victim', { remoteAddress: '198.51.100.7' }), 'victim', Buffer.from(secret)),
    { ok: true },
    'the device from its own address',
  );
});

test('AWS IoT SDK metrics suffix on the user name is ignored', async (t) => {
  const { h, db, api } = await counted();
  t.after(async () => {
    await h.close();
    await db.close();
  });
  await api('/devices', { id: 'aws-1' });
  const named = await api('/devices/aws-1/credentials', { username: 'thing' });
  const auth = h.registry.brokerHooks.authenticate!;
  const pw = Buffer.from(named.secret as string);
  assert.deepEqual(await auth(client('aws-1'), 'thing?SDK=JavaScript&Version=2.2.16', pw), { ok: true });
  const wrongName = await auth(client('aws-1'), 'other?SDK=JavaScript&Version=2.2.16', pw);
  assert.equal(!wrongName.ok && wrongName.reasonCode, 0x86);
  const byId = await api('/devices/aws-1/credentials');
  assert.deepEqual(
    await auth(client('aws-1'), '?SDK=JavaScript&Version=2.2.16', Buffer.from(byId.secret as string)),
    { ok: true },
    'a user name that is only the suffix means the device id',
  );
});

test('client certificates: a registered fingerprint authenticates its own device only; revoked ones are refused', async (t) => {
  const h = await startRegistryHarness();
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

test('allow-anonymous: an anonymous client is allowed everything, with no state held for it and no directory read', async () => {
  const db = openSqlite(':memory:');
  const store = await openRegistryStore(db);
  const directory = new CachedDirectory(store);
  let reads = 0;
  const device = directory.device.bind(directory);
  directory.device = (id) => (reads++, device(id));
  const auth = new DeviceAuth({
    directory,
    store,
    clock: systemClock,
    log: silentLogger,
    allowAnonymous: true,
    limiter: undefined,
  });
  const anon = client('anon-1');
  assert.deepEqual(await auth.authenticate(anon), { ok: true });
  assert.equal(auth.credentialOf('anon-1'), undefined, 'no per-client state (it was a 72-byte object)');
  const hooks = auth.hooks();
  assert.equal(await hooks.authorizePublish(anon, 'any/topic'), true);
  assert.equal(await hooks.authorizeSubscribe(anon, '#'), true);
  assert.equal(reads, 0, 'no directory read for an anonymous client');
  await db.close();
});
