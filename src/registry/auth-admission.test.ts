/**
 * Password CONNECTs through the registry's hooks: admission control for slow (scrypt) hashes, and
 * what the failed-authentication limiter counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientInfo } from '../mqtt/api.js';
import { hashSecret } from './secrets.js';
import { openRegistryStore } from './registry-store.js';
import { startRegistryHarness, type RegistryHarness } from './testing.js';
import type { RegistryOptions } from './index.js';

const client = (clientId: string, remoteAddress = '10.0.0.1', protocolVersion: 4 | 5 = 5): ClientInfo => ({
  clientId,
  remoteAddress,
  protocolVersion,
  keepalive: 30,
  cleanStart: true,
  transport: 'tcp',
});

async function withChosenPassword(
  registry: RegistryOptions,
  password: string,
): Promise<{ h: RegistryHarness; credentialId: string }> {
  const h = await startRegistryHarness({ registry });
  const r = await h.http.inject({
    method: 'POST',
    url: '/api/v1/devices',
    headers: h.auth,
    payload: { id: 'd1' },
  });
  assert.equal(r.statusCode, 201, r.body);
  const store = await openRegistryStore(h.db);
  await store.putCredential({
    id: 'cred_chosen',
    deviceId: 'd1',
    kind: 'password',
    username: 'd1',
    secretHash: await hashSecret(password, 1024),
    fingerprint: null,
    createdAt: 1,
    expiresAt: null,
    revokedAt: null,
  });
  return { h, credentialId: 'cred_chosen' };
}

test('slow verifications are admitted one at a time; a full queue answers 0x89 Server busy at once', async (t) => {
  let running = 0;
  let most = 0;
  const { h } = await withChosenPassword(
    {
      authLimits: false,
      slowLane: { concurrency: 1, maxQueued: 2, maxWaitMs: 60_000 },
      verifySecret: async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return false;
      },
    },
    'a chosen password',
  );
  t.after(() => h.close());
  const auth = h.registry.brokerHooks.authenticate!;
  const results = await Promise.all(
    Array.from({ length: 5 }, async (_, i) => auth(client('d1', `10.0.1.${i}`), 'd1', Buffer.from('guess'))),
  );
  const codes = results.map((r) => (r.ok ? 0 : r.reasonCode)).sort();
  assert.deepEqual(codes, [0x86, 0x86, 0x86, 0x89, 0x89], 'one running, two queued, two turned away');
  assert.equal(most, 1, 'never more than one scrypt at once');
});

test('only wrong secrets count as failures: a revoked secret or a disabled device never locks out', async (t) => {
  const h = await startRegistryHarness();
  t.after(() => h.close());
  const post = async (url: string, payload?: object) =>
    JSON.parse(
      (await h.http.inject({ method: 'POST', url: `/api/v1${url}`, headers: h.auth, payload })).body,
    ) as {
      secret: string;
      credential: { id: string };
    };
  await post('/devices', { id: 'd1' });
  const cred = await post('/devices/d1/credentials', {});
  await post(`/devices/d1/credentials/${cred.credential.id}/revoke`);
  const auth = h.registry.brokerHooks.authenticate!;
  for (let i = 0; i < 10; i++) {
    const r = await auth(client('d1'), 'd1', Buffer.from(cred.secret));
    assert.deepEqual(r, { ok: false, reasonCode: 0x87, reason: 'credential revoked' }, `attempt ${i}`);
  }
  const fresh = await post('/devices/d1/credentials', {});
  await h.http.inject({
    method: 'PATCH',
    url: '/api/v1/devices/d1',
    headers: h.auth,
    payload: { enabled: false },
  });
  for (let i = 0; i < 10; i++) {
    const r = await auth(client('d1'), 'd1', Buffer.from(fresh.secret));
    assert.deepEqual(r, { ok: false, reasonCode: 0x87, reason: 'device disabled' }, `attempt ${i}`);
  }
});

test('the limiter refuses MQTT 5 with 0x9F and 3.1.1 with 0x87 (return code 5), naming the retry time', async (t) => {
  const { h } = await withChosenPassword({}, 'a chosen password');
  t.after(() => h.close());
  const auth = h.registry.brokerHooks.authenticate!;
  for (let i = 0; i < 5; i++) await auth(client('d1', '10.9.9.9'), 'd1', Buffer.from('guess'));
  const v5 = await auth(client('d1', '10.9.9.9', 5), 'd1', Buffer.from('a chosen password'));
  assert.deepEqual(v5, {
    ok: false,
    reasonCode: 0x9f,
    reason: 'too many failed authentications for this client id from this address; retry in 1 s',
  });
  const v311 = await auth(client('d1', '10.9.9.9', 4), 'd1', Buffer.from('a chosen password'));
  assert.equal(!v311.ok && v311.reasonCode, 0x87);
  assert.deepEqual(await auth(client('d1', '10.9.9.10'), 'd1', Buffer.from('a chosen password')), {
    ok: true,
  });
});
