import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';
import { redact } from './server.js';

test('every change made through the API is audited, with secrets masked', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const put = await p.app.http.inject({
    method: 'PUT',
    url: '/api/v1/health/policies/scooter',
    headers: p.auth,
    payload: { heartbeat: { signOfLife: 'any_message' } },
  });
  assert.ok(put.statusCode < 300, put.body);
  const ch = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: p.auth,
    payload: { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 's3cret-signing-key' },
  });
  assert.ok(ch.statusCode < 300, ch.body);
  // A failed change (422) is not an audited change.
  const bad = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/slos',
    headers: p.auth,
    payload: { name: 'x' },
  });
  assert.equal(bad.statusCode, 422);
  // Reads are not audited.
  await p.app.http.inject({ method: 'GET', url: '/api/v1/fleet/health', headers: p.auth });

  let entries: { action: string; resource: string; after?: unknown }[] = [];
  for (let i = 0; i < 40 && entries.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100)); // the registry writes audit rows in batches
    const r = await p.app.http.inject({ method: 'GET', url: '/api/v1/audit?limit=50', headers: p.auth });
    entries = r.json<{ items: typeof entries }>().items;
  }
  const actions = entries.map((e) => e.action);
  assert.ok(actions.includes('PUT /api/v1/health/policies/:model'), actions.join(', '));
  assert.ok(actions.includes('POST /api/v1/notification-channels'), actions.join(', '));
  assert.ok(
    !actions.some((a) => a.startsWith('GET ') || a.startsWith('POST /api/v1/slos')),
    actions.join(', '),
  );
  const channel = entries.find((e) => e.action === 'POST /api/v1/notification-channels');
  assert.equal((channel?.after as { secret?: string }).secret, '***');
  assert.equal(JSON.stringify(entries).includes('s3cret-signing-key'), false);
});

test('redact masks secret-looking keys at any depth', () => {
  assert.deepEqual(
    redact({ a: 1, password: 'p', nested: { apiToken: 't', list: [{ signingKey: 'k', ok: true }] } }),
    {
      a: 1,
      password: '***',
      nested: { apiToken: '***', list: [{ signingKey: '***', ok: true }] },
    },
  );
});
