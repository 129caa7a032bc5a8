import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { redact } from './server.js';

const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/s3cretSlackPath';

interface Entry {
  action: string;
  resource: string;
  actor: { kind: string; id: string; name?: string | null };
  after?: unknown;
}

async function auditEntries(p: TestPlatform, atLeast: number, headers = p.auth): Promise<Entry[]> {
  let entries: Entry[] = [];
  for (let i = 0; i < 40 && entries.length < atLeast; i++) {
    await new Promise((r) => setTimeout(r, 100)); // the registry writes audit rows in batches
    const r = await p.app.http.inject({ method: 'GET', url: '/api/v1/audit?limit=50', headers });
    entries = r.json<{ items: Entry[] }>().items;
  }
  return entries;
}

test('every change made through the API is audited with the actor and a declared action name', async (t) => {
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

  const entries = await auditEntries(p, 2);
  const actions = entries.map((e) => e.action);
  assert.ok(actions.includes('health_policy.set'), actions.join(', '));
  assert.ok(actions.includes('notification_channel.create'), actions.join(', '));
  assert.ok(!actions.some((a) => a.includes('/') || a.startsWith('slo.')), actions.join(', '));
  for (const e of entries) assert.deepEqual(e.actor, { kind: 'token', id: 'admin', name: 'bootstrap admin' });
  const channel = entries.find((e) => e.action === 'notification_channel.create');
  assert.equal((channel?.after as { secret?: string }).secret, '***');
  assert.equal(JSON.stringify(entries).includes('s3cret-signing-key'), false);
});

test('every mutating route declares an audit action name', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const mutating = p.app.http.routeTable.filter(
    (r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && r.url.startsWith('/api/v1/'),
  );
  assert.ok(mutating.length >= 30, `found only ${mutating.length} mutating routes`);
  const missing = mutating
    .filter((r) => typeof r.config?.action !== 'string')
    .map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(missing, [], 'routes without config.action');
  for (const r of mutating)
    assert.match(r.config!.action!, /^[a-z][a-z_-]*(\.[a-z][a-z_]*)+$/, `${r.method} ${r.url}`);
});

test('a viewer reading the audit log never sees a Slack webhook URL or a signing secret', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const tok = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: p.auth,
    payload: { name: 'dashboard', role: 'viewer' },
  });
  const viewer = { authorization: `Bearer ${tok.json<{ secret: string }>().secret}` };
  const slack = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: p.auth,
    payload: { name: 'ops', type: 'slack', url: SLACK_URL },
  });
  assert.equal(slack.statusCode, 201, slack.body);
  const id = slack.json<{ id: string }>().id;
  const upd = await p.app.http.inject({
    method: 'PUT',
    url: `/api/v1/notification-channels/${id}`,
    headers: p.auth,
    payload: { name: 'ops 2', type: 'slack', url: SLACK_URL },
  });
  assert.equal(upd.statusCode, 200, upd.body);
  // An entry as the previous version wrote it: generic action name, Slack URL in plain text.
  p.app.bus.emit('audit', {
    at: Date.now(),
    actor: { kind: 'token', id: 'admin' },
    action: 'POST /api/v1/notification-channels',
    resource: 'notification-channels',
    after: { name: 'old', type: 'slack', url: SLACK_URL },
  });
  const entries = await auditEntries(p, 4, viewer);
  const legacy = entries.find((e) => e.action === 'POST /api/v1/notification-channels');
  assert.equal((legacy?.after as { url?: string }).url, '***', JSON.stringify(legacy));
  assert.ok(
    entries.some((e) => e.action === 'notification_channel.update'),
    JSON.stringify(entries),
  );
  assert.equal(JSON.stringify(entries).includes('s3cretSlackPath'), false, JSON.stringify(entries));
  // Nor does any read of the channel.
  for (const url of ['/api/v1/notification-channels', `/api/v1/notification-channels/${id}`]) {
    const r = await p.app.http.inject({ method: 'GET', url, headers: viewer });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.body.includes('s3cretSlackPath'), false, r.body);
  }
});

test('redact masks fields the schema declares writeOnly, at any depth, whatever their name', () => {
  const schema = {
    type: 'object',
    properties: {
      url: { type: 'string', writeOnly: true },
      name: { type: 'string' },
      hooks: {
        type: 'array',
        items: { type: 'object', properties: { target: { type: 'string', writeOnly: true } } },
      },
      nested: { oneOf: [{ type: 'object', properties: { dsn: { type: 'string', writeOnly: true } } }] },
    },
  };
  assert.deepEqual(
    redact(
      { url: 'https://x/y', name: 'n', hooks: [{ target: 't', ok: 1 }], nested: { dsn: 'd', keep: 2 } },
      schema,
    ),
    { url: '***', name: 'n', hooks: [{ target: '***', ok: 1 }], nested: { dsn: '***', keep: 2 } },
  );
});

test('without a schema, redact masks secret-looking keys at any depth', () => {
  assert.deepEqual(
    redact({ a: 1, password: 'p', nested: { apiToken: 't', list: [{ signingKey: 'k', ok: true }] } }),
    {
      a: 1,
      password: '***',
      nested: { apiToken: '***', list: [{ signingKey: '***', ok: true }] },
    },
  );
});
