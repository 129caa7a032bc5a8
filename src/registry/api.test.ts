import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ManualClock } from '../core/clock.js';
import { startRegistryHarness, type RegistryHarness } from './testing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in tests
type Json = Record<string, any>;

describe('registry HTTP API', () => {
  let h: RegistryHarness;
  const clock = new ManualClock();
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = h.auth,
  ): Promise<{ status: number; body: Json }> => {
    const r = await h.http.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Json) : {} };
  };
  const token = async (
    role: string,
    extra: Json = {},
  ): Promise<{ id: string; headers: Record<string, string> }> => {
    const r = await call('POST', '/tokens', { name: `${role}-token`, role, ...extra });
    assert.equal(r.status, 201);
    return { id: r.body.token.id, headers: { authorization: `Bearer ${r.body.secret}` } };
  };

  before(async () => {
    h = await startRegistryHarness({ clock, registry: {} });
  });
  after(async () => {
    await h.close();
  });

  test('device models: create, get, replace, list, delete; duplicates 409, unknown 404, bad fields 422 naming the field', async () => {
    const created = await call('POST', '/device-models', {
      name: 'scooter',
      description: 'e-scooter',
      heartbeat: { intervalMs: 60_000, graceMs: 10_000, signOfLife: 'heartbeat' },
      acl: { publish: ['devices/${deviceId}/#', 'fleet/${tag:site}/${deviceId}'] },
      decoder: 'scooter-csv',
      shadow: { clearDesiredOnReport: true },
      attributes: { wheels: 2 },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.heartbeat.signOfLife, 'heartbeat');
    assert.equal((await call('POST', '/device-models', { name: 'scooter' })).status, 409);
    assert.equal((await call('GET', '/device-models/scooter')).body.decoder, 'scooter-csv');
    assert.equal((await call('GET', '/device-models/nope')).body.error.code, 'MODEL_NOT_FOUND');

    const badInterval = await call('POST', '/device-models', { name: 'x', heartbeat: { intervalMs: 5 } });
    assert.equal(badInterval.status, 422);
    assert.equal(badInterval.body.error.field, 'body.heartbeat.intervalMs');
    const badAcl = await call('POST', '/device-models', { name: 'x', acl: { publish: ['a/${nope}'] } });
    assert.equal(badAcl.status, 422);
    assert.equal(badAcl.body.error.field, 'body.acl.publish[0]');
    const badName = await call('POST', '/device-models', { name: 'has space' });
    assert.equal(badName.body.error.field, 'body.name');
    const extra = await call('POST', '/device-models', { name: 'x', colour: 'red' });
    assert.equal(extra.status, 422);
    assert.equal(extra.body.error.field, 'body.colour');

    const replaced = await call('PUT', '/device-models/scooter', { description: 'v2', attributes: {} });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.description, 'v2');
    assert.equal(replaced.body.heartbeat, undefined);
    await call('POST', '/device-models', { name: 'boiler' });
    assert.deepEqual(
      (await call('GET', '/device-models')).body.items.map((m: Json) => m.name),
      ['boiler', 'scooter'],
    );
    assert.equal((await call('DELETE', '/device-models/boiler')).status, 204);
    assert.equal((await call('DELETE', '/device-models/boiler')).status, 404);
  });

  test('devices: create, get, patch, delete; id validation names the field; unknown model 422; model in use 409', async () => {
    const changes: string[] = [];
    const off = h.bus.on('device.changed', (e) => changes.push(`${e.change}:${e.deviceId}:${e.model ?? ''}`));
    for (const id of ['a/b', 'a+b', 'x#', '$sys', 'has space', '', 'x'.repeat(129)]) {
      const r = await call('POST', '/devices', { id });
      assert.equal(r.status, 422, `id ${JSON.stringify(id)}`);
      assert.equal(r.body.error.field, 'body.id');
    }
    const noModel = await call('POST', '/devices', { id: 'sc-1', model: 'ghost' });
    assert.equal(noModel.status, 422);
    assert.equal(noModel.body.error.field, 'body.model');
    const created = await call('POST', '/devices', {
      id: 'sc-1',
      model: 'scooter',
      tags: ['site=osaka'],
      attributes: { color: 'red' },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(
      [created.body.name, created.body.enabled, created.body.online, created.body.tags],
      ['sc-1', true, false, ['site=osaka']],
    );
    assert.equal((await call('POST', '/devices', { id: 'sc-1' })).status, 409);
    clock.advance(1000);
    const patched = await call('PATCH', '/devices/sc-1', { name: 'Scooter One', enabled: false });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Scooter One');
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.updatedAt, created.body.updatedAt + 1000);
    assert.equal((await call('PATCH', '/devices/sc-1', { id: 'other' })).body.error.field, 'body.id');
    assert.equal((await call('PATCH', '/devices/nope', { name: 'x' })).status, 404);
    const inUse = await call('DELETE', '/device-models/scooter');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'MODEL_IN_USE');
    await call('POST', '/devices', { id: 'tmp' });
    assert.equal((await call('DELETE', '/devices/tmp')).status, 204);
    assert.equal((await call('GET', '/devices/tmp')).body.error.code, 'DEVICE_NOT_FOUND');
    off();
    assert.deepEqual(changes, [
      'created:sc-1:scooter',
      'updated:sc-1:scooter',
      'created:tmp:',
      'deleted:tmp:',
    ]);
  });

  test('device list: filters (model, tag, online, q), sort, paging with total and nextOffset', async () => {
    for (let i = 0; i < 12; i++)
      await call('POST', '/devices', {
        id: `ls-${String(i).padStart(2, '0')}`,
        name: i === 5 ? 'Kitchen boiler' : `unit ${i}`,
        ...(i < 4 ? { model: 'scooter' } : {}),
        tags: [i % 2 ? 'odd' : 'even'],
      });
    const page = await call('GET', '/devices?q=ls-&limit=5&offset=5&sort=id&order=asc');
    assert.equal(page.body.total, 12);
    assert.deepEqual(
      page.body.items.map((d: Json) => d.id),
      ['ls-05', 'ls-06', 'ls-07', 'ls-08', 'ls-09'],
    );
    assert.equal(page.body.nextOffset, 10);
    const last = await call('GET', '/devices?q=ls-&limit=5&offset=10');
    assert.equal(last.body.nextOffset, null);
    assert.equal((await call('GET', '/devices?model=scooter&tag=odd&q=ls-')).body.total, 2);
    assert.deepEqual(
      (await call('GET', '/devices?q=KITCHEN')).body.items.map((d: Json) => d.id),
      ['ls-05'],
    );
    assert.equal((await call('GET', '/devices?online=true')).body.total, 0);
    const desc = await call('GET', '/devices?q=ls-&sort=name&order=desc&limit=1');
    assert.equal(desc.body.items[0].id, 'ls-09', '"unit 9" sorts last by name');
    const bad = await call('GET', '/devices?limit=5000');
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.field, 'querystring.limit');
    assert.equal((await call('GET', '/devices?sort=colour')).body.error.field, 'querystring.sort');
  });

  test('credentials: password secret shown once (never listed), certificate, rotate with overlap, revoke', async () => {
    await call('POST', '/devices', { id: 'cred-1' });
    const pw = await call('POST', '/devices/cred-1/credentials', {});
    assert.equal(pw.status, 201);
    assert.equal(typeof pw.body.secret, 'string');
    assert.ok(pw.body.secret.length >= 24);
    assert.equal(pw.body.credential.username, 'cred-1');
    clock.advance(1);
    const fp = 'AB:'.repeat(31) + 'AB';
    const cert = await call('POST', '/devices/cred-1/credentials', { kind: 'certificate', fingerprint: fp });
    assert.equal(cert.status, 201);
    assert.equal(cert.body.secret, undefined);
    assert.equal(cert.body.credential.fingerprint, 'ab'.repeat(32));
    clock.advance(1);
    assert.equal(
      (await call('POST', '/devices/cred-1/credentials', { kind: 'certificate', fingerprint: fp })).status,
      409,
    );
    const badFp = await call('POST', '/devices/cred-1/credentials', {
      kind: 'certificate',
      fingerprint: 'xyz',
    });
    assert.equal(badFp.body.error.field, 'body.fingerprint');
    const rotated = await call('POST', `/devices/cred-1/credentials/${pw.body.credential.id}/rotate`, {
      overlapMs: 60_000,
    });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, pw.body.secret);
    assert.equal(rotated.body.previous.expiresAt, clock.now() + 60_000);
    assert.equal(rotated.body.previous.status, 'active');
    clock.advance(60_000);
    const list = await call('GET', '/devices/cred-1/credentials');
    assert.deepEqual(
      list.body.items.map((c: Json) => [c.kind, c.status]),
      [
        ['password', 'expired'],
        ['certificate', 'active'],
        ['password', 'active'],
      ],
    );
    assert.ok(!JSON.stringify(list.body).includes('scrypt'), 'hashes never leave the server');
    const revoked = await call('POST', `/devices/cred-1/credentials/${cert.body.credential.id}/revoke`);
    assert.equal(revoked.body.status, 'revoked');
    assert.equal(
      (await call('POST', `/devices/cred-1/credentials/${cert.body.credential.id}/rotate`)).status,
      409,
    );
    assert.equal((await call('POST', '/devices/cred-1/credentials/nope/revoke')).status, 404);
    assert.equal((await call('GET', '/devices/nope/credentials')).status, 404);
  });

  test('roles: viewer reads but cannot write; operator cannot manage tokens; expiry and revocation end a token', async () => {
    const viewer = await token('viewer');
    assert.equal((await call('GET', '/devices', undefined, viewer.headers)).status, 200);
    const denied = await call('POST', '/devices', { id: 'v-1' }, viewer.headers);
    assert.equal(denied.status, 403);
    assert.equal((await call('PATCH', '/devices/sc-1', { name: 'x' }, viewer.headers)).status, 403);
    const operator = await token('operator');
    assert.equal((await call('POST', '/devices', { id: 'op-1' }, operator.headers)).status, 201);
    assert.equal((await call('GET', '/tokens', undefined, operator.headers)).status, 403);
    assert.equal((await call('POST', '/tokens', { name: 'x', role: 'admin' }, operator.headers)).status, 403);

    const shortLived = await token('viewer', { expiresInSeconds: 60 });
    assert.equal((await call('GET', '/devices', undefined, shortLived.headers)).status, 200);
    clock.advance(60_000);
    assert.equal((await call('GET', '/devices', undefined, shortLived.headers)).status, 401);
    assert.equal(
      (await call('POST', '/tokens', { name: 'x', role: 'viewer', expiresAt: clock.now() - 1 })).body.error
        .field,
      'body.expiresAt',
    );

    assert.equal((await call('DELETE', `/tokens/${operator.id}`)).body.revokedAt, clock.now());
    assert.equal((await call('GET', '/devices', undefined, operator.headers)).status, 401);
    const listed = await call('GET', '/tokens');
    assert.ok(listed.body.items.some((t: Json) => t.bootstrap === true && t.role === 'admin'));
    assert.ok(!JSON.stringify(listed.body).includes('hash'));
    assert.equal((await call('DELETE', '/tokens/nope')).status, 404);
    assert.equal((await call('GET', '/devices', undefined, { authorization: 'Bearer wrong' })).status, 401);
  });

  test('audit: every API change with actor, before and after; filters; bus audit events from other modules', async () => {
    const op = await token('operator');
    await call('POST', '/devices', { id: 'aud-1', name: 'before' }, op.headers);
    await call('PATCH', '/devices/aud-1', { name: 'after' }, op.headers);
    h.bus.emit('audit', {
      at: clock.now(),
      actor: { kind: 'rule', id: 'rule-7' },
      action: 'rule.fired',
      resource: 'devices/aud-1',
      after: { x: 1 },
    });
    const byDevice = await call('GET', '/audit?resource=devices/aud-1');
    assert.deepEqual(
      byDevice.body.items.map((e: Json) => e.action),
      ['rule.fired', 'device.update', 'device.create'],
    );
    const update = byDevice.body.items[1];
    assert.equal(update.actor.id, op.id);
    assert.equal(update.actor.name, 'operator-token');
    assert.equal(update.before.name, 'before');
    assert.equal(update.after.name, 'after');
    const byActor = await call('GET', `/audit?actor=${op.id}`);
    assert.equal(byActor.body.total, 2);
    const tokenAudit = await call('GET', '/audit?resource=tokens&limit=1');
    assert.equal(tokenAudit.status, 200);
  });

  test('YAML export and import round trip; import errors name the entry', async () => {
    const exported = await h.http.inject({ method: 'GET', url: '/api/v1/export', headers: h.auth });
    assert.equal(exported.statusCode, 200);
    assert.match(String(exported.headers['content-type']), /yaml/);
    const doc = parse(exported.body) as Json;
    assert.ok(doc.devices.some((d: Json) => d.id === 'sc-1' && d.model === 'scooter'));
    assert.ok(doc.models.some((m: Json) => m.name === 'scooter'));

    const yaml = (body: string, type = 'application/yaml') =>
      h.http.inject({
        method: 'POST',
        url: '/api/v1/import',
        headers: { ...h.auth, 'content-type': type },
        payload: body,
      });
    const bad = await yaml('devices:\n  - id: ok-1\n  - id: "bad/id"\n');
    assert.equal(bad.statusCode, 422);
    assert.equal((JSON.parse(bad.body) as Json).error.field, 'devices[1].id');
    assert.equal(
      (await call('GET', '/devices/ok-1')).status,
      404,
      'nothing is written when any entry is invalid',
    );
    assert.equal((await yaml(': : :\n  - [')).statusCode, 422);

    const imported = await yaml(
      'models:\n  - name: boiler\n    heartbeat: { intervalMs: 60000 }\ndevices:\n  - id: b-1\n    model: boiler\n    tags: [floor=2]\n  - id: sc-1\n    model: scooter\n    name: renamed by import\n',
      'text/yaml',
    );
    assert.equal(imported.statusCode, 200);
    assert.deepEqual(JSON.parse(imported.body), {
      models: { created: 1, updated: 0 },
      devices: { created: 1, updated: 1 },
    });
    assert.equal((await call('GET', '/devices/sc-1')).body.name, 'renamed by import');

    // Round trip: export, wipe into a fresh registry, import, export again: identical documents.
    const first = (await h.http.inject({ method: 'GET', url: '/api/v1/export', headers: h.auth })).body;
    const other = await startRegistryHarness();
    try {
      const r = await other.http.inject({
        method: 'POST',
        url: '/api/v1/import',
        headers: { ...other.auth, 'content-type': 'application/yaml' },
        payload: first,
      });
      assert.equal(r.statusCode, 200, r.body);
      const second = (await other.http.inject({ method: 'GET', url: '/api/v1/export', headers: other.auth }))
        .body;
      assert.deepEqual(parse(second), parse(first));
    } finally {
      await other.close();
    }
  });

  test('OpenAPI document and reference page are public', async () => {
    const doc = await h.http.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(doc.statusCode, 200);
    const json = JSON.parse(doc.body) as Json;
    assert.match(json.openapi, /^3\./);
    assert.ok(json.paths['/api/v1/devices/{id}/credentials']);
    assert.ok(json.paths['/api/v1/devices'].get.parameters.some((p: Json) => p.name === 'online'));
    const page = await h.http.inject({ method: 'GET', url: '/api/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  });
});

describe('API authentication rate limit', () => {
  test('more than 30 failed authentications a minute from one address get 429; a valid token still works', async (t) => {
    const h = await startRegistryHarness();
    t.after(() => h.close());
    const get = (authorization: string) =>
      h.http.inject({ method: 'GET', url: '/api/v1/devices', headers: { authorization } });
    for (let i = 0; i < 30; i++) assert.equal((await get('Bearer wrong')).statusCode, 401);
    const limited = await get('Bearer wrong');
    assert.equal(limited.statusCode, 429);
    assert.equal((JSON.parse(limited.body) as { error: { code: string } }).error.code, 'RATE_LIMITED');
    assert.ok(limited.headers['retry-after'], 'says when to come back');
    // Anyone behind the same NAT with a valid token is not locked out by someone else's failures.
    assert.equal((await get(h.auth.authorization)).statusCode, 200);
    assert.equal((await get('Bearer wrong')).statusCode, 429, 'failures stay limited');
  });
});
