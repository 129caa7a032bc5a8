// The rules HTTP API on the whole app: CRUD, validation naming the field, enable/disable, audit,
// the test run, YAML export/import, /metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import type { TsunaguEvents } from '../core/index.js';
import type { RulesModule } from './index.js';

describe('rules API', () => {
  let p: TestPlatform;
  const audits: TsunaguEvents['audit'][] = [];
  before(async () => {
    p = await startTestPlatform({ allowAnonymous: true });
    p.app.bus.on('audit', (e) => audits.push(e));
  });
  after(() => p.close());

  const req = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.auth, ...headers },
      ...(payload !== undefined ? { payload: payload as string } : {}),
    });

  const rule = {
    name: 'hot_boiler',
    description: 'too hot',
    sql: "SELECT temp, topic(2) AS device FROM 'boilers/+/telemetry' WHERE temp > 80",
    actions: [{ type: 'http', url: 'http://127.0.0.1:9/hook', secret: 'hmac-key' }],
  };

  test('create, read (secret masked, metrics), list, conflict', async () => {
    const r = await req('POST', '/rules', rule);
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json<{
      name: string;
      enabled: boolean;
      actions: { secret: string }[];
      metrics: { evaluated: number };
    }>();
    assert.equal(body.enabled, true);
    assert.equal(body.actions[0]!.secret, '***');
    assert.equal(body.metrics.evaluated, 0);
    assert.equal((await req('POST', '/rules', rule)).statusCode, 409);
    const list = (await req('GET', '/rules')).json<{ items: { name: string }[] }>();
    assert.deepEqual(
      list.items.map((x) => x.name),
      ['hot_boiler'],
    );
    const a = audits.find((e) => e.action === 'rule.create')!;
    assert.equal(a.resource, 'rules/hot_boiler');
    assert.equal(a.actor.kind, 'token');
    assert.equal(JSON.stringify(a.after).includes('hmac-key'), false);
  });

  test('validation errors name the field, and the position and token for the statement', async () => {
    const bad = await req('POST', '/rules', { ...rule, name: 'x1', sql: "SELECT temp FORM 'a'" });
    assert.equal(bad.statusCode, 422);
    const e = bad.json<{
      error: { field?: string; message: string; details?: { line: number; column: number; token: string } };
    }>().error;
    assert.equal(e.field, 'sql');
    assert.deepEqual(e.details, { line: 1, column: 13, offset: 12, token: 'FORM' });
    assert.match(e.message, /line 1, column 13/);
    assert.match(e.message, /FORM/);
    const url = await req('POST', '/rules', {
      ...rule,
      name: 'x2',
      actions: [{ type: 'http', url: 'ftp://x' }],
    });
    assert.equal(url.statusCode, 422);
    assert.match(url.body, /actions\[0\]\.url/);
    const unknown = await req('POST', '/rules', {
      ...rule,
      name: 'x3',
      actions: [{ type: 'republish', topic: 'a', qoss: 1 }],
    });
    assert.match(unknown.body, /actions\[0\]\.qoss: unknown field/);
    const tooMany = await req('POST', '/rules', {
      ...rule,
      name: 'x4',
      actions: Array.from({ length: 11 }, () => ({ type: 'republish', topic: 'a' })),
    });
    assert.equal(tooMany.statusCode, 422);
    assert.match(tooMany.body, /at most 10 actions/);
  });

  test('replace keeps a masked secret, disable/enable, delete; each audited with before/after', async () => {
    const got = (await req('GET', '/rules/hot_boiler')).json<Record<string, unknown>>();
    const { createdAt: _c, updatedAt: _u, metrics: _m, ...edit } = got;
    const put = await req('PUT', '/rules/hot_boiler', { ...edit, description: 'hotter' });
    assert.equal(put.statusCode, 200, put.body);
    const rules = p.app.modules.find((m) => m.name === 'rules') as RulesModule;
    const kept = rules.engine.get('hot_boiler')!.def.actions[0]!;
    assert.equal(kept.type === 'http' && kept.secret, 'hmac-key');
    const upd = audits.find((e) => e.action === 'rule.update')!;
    assert.equal((upd.before as { description: string }).description, 'too hot');
    assert.equal((upd.after as { description: string }).description, 'hotter');
    assert.equal(
      (await req('POST', '/rules/hot_boiler/disable')).json<{ enabled: boolean }>().enabled,
      false,
    );
    assert.equal((await req('POST', '/rules/hot_boiler/enable')).json<{ enabled: boolean }>().enabled, true);
    assert.ok(audits.some((e) => e.action === 'rule.disable'));
    assert.equal((await req('GET', '/rules/nope')).statusCode, 404);
  });

  test('POST /rules/test: SELECT output, WHERE result and the requests actions would send, without sending', async () => {
    const r = await req('POST', '/rules/test', {
      rule: 'hot_boiler',
      topic: 'boilers/b-7/telemetry',
      payload: { temp: 91 },
      clientId: 'b-7',
    });
    assert.equal(r.statusCode, 200, r.body);
    const t = r.json<{
      topicMatches: boolean;
      matched: boolean;
      where: unknown;
      output: unknown;
      actions: { type: string; request: { target: string; body: string } }[];
    }>();
    assert.equal(t.topicMatches, true);
    assert.equal(t.matched, true);
    assert.equal(t.where, true);
    assert.deepEqual(t.output, { temp: 91, device: 'b-7' });
    assert.equal(t.actions[0]!.request.target, 'http://127.0.0.1:9/hook');
    assert.deepEqual(JSON.parse(Buffer.from(t.actions[0]!.request.body, 'base64').toString()), {
      temp: 91,
      device: 'b-7',
    });
    const cold = (
      await req('POST', '/rules/test', {
        rule: 'hot_boiler',
        topic: 'boilers/b-7/telemetry',
        payload: { temp: 20 },
      })
    ).json<{ matched: boolean; actions: unknown[] }>();
    assert.equal(cold.matched, false);
    assert.deepEqual(cold.actions, []);
    const inline = await req('POST', '/rules/test', {
      definition: { sql: "SELECT upper(s) AS u FROM 'x/#'" },
      topic: 'x/y',
      payload: { s: 'a' },
    });
    assert.deepEqual(inline.json<{ output: unknown }>().output, { u: 'A' });
    const bad = await req('POST', '/rules/test', { definition: { sql: 'SELECT' }, topic: 'x' });
    assert.equal(bad.statusCode, 422);
  });

  test('a message through the broker is counted in the API and /metrics', async () => {
    const mqtt = (await import('mqtt')).default;
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'b-8', reconnectPeriod: 0 });
    await c.publishAsync('boilers/b-8/telemetry', JSON.stringify({ temp: 10 }), { qos: 1 });
    await c.endAsync();
    const m = (await req('GET', '/rules/hot_boiler')).json<{
      metrics: { evaluated: number; matched: number };
    }>().metrics;
    assert.equal(m.evaluated, 1);
    assert.equal(m.matched, 0);
    const prom = await p.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(prom.body, /tsunagu_rules_messages_total\{rule="hot_boiler",result="evaluated"\} 1/);
  });

  test('YAML export and import round trip (secrets masked on export, kept on import)', async () => {
    const y = await req('GET', '/rules/export');
    assert.equal(y.statusCode, 200);
    assert.match(y.body, /hot_boiler/);
    assert.equal(y.body.includes('hmac-key'), false);
    const text = y.body.replace('hot_boiler', 'hot_boiler').replace('hotter', 'imported');
    const imp = await req('POST', '/rules/import', text, { 'content-type': 'application/yaml' });
    assert.equal(imp.statusCode, 200, imp.body);
    assert.deepEqual(imp.json(), { created: [], updated: ['hot_boiler'] });
    const del = await req('DELETE', '/rules/hot_boiler');
    assert.equal(del.statusCode, 204);
    assert.equal((await req('GET', '/rules/hot_boiler')).statusCode, 404);
    assert.ok(audits.some((e) => e.action === 'rule.delete'));
  });
});
