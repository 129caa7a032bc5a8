/**
 * The alarm API on a real platform: roles (viewer reads, operator acks and clears), 4xx on bad
 * input naming the field, 404 on an unknown id, 409 on an illegal step, audit entries, cursor
 * paging, and a customer's user who sees only alarms on the customer's devices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;
const PASSWORD = 'a long enough customer password';

async function token(p: TestPlatform, role: 'viewer' | 'operator'): Promise<{ authorization: string }> {
  const r = await api(p, 'POST', '/tokens', { name: `${role}-alarms`, role });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { authorization: `Bearer ${r.body.secret as string}` };
}

async function call(
  p: TestPlatform,
  headers: Record<string, string>,
  method: 'GET' | 'POST',
  url: string,
): Promise<{ status: number; body: Json }> {
  const r = await p.app.http.inject({ method, url: `/api/v1${url}`, headers });
  return { status: r.statusCode, body: JSON.parse(r.body) as Json };
}

async function seed(p: TestPlatform): Promise<number[]> {
  const svc = p.app.modules.find((m) => m.name === 'alarms') as unknown as {
    service: { raise(r: object): Promise<{ id: number }> };
  };
  const ids: number[] = [];
  for (const [i, dev] of ['dev-a', 'dev-b', 'dev-a'].entries())
    ids.push(
      (
        await svc.service.raise({
          source: 'rule',
          originator: dev,
          deviceId: dev,
          ruleId: 'r',
          severity: i === 1 ? 'critical' : 'warning',
          type: `t${i}`,
          message: `m${i}`,
        })
      ).id,
    );
  ids.push(
    (
      await svc.service.raise({
        source: 'slo',
        originator: 'fleet',
        sloId: 'fleet',
        severity: 'critical',
        type: 'burn_rate:fast',
        message: 'slo',
      })
    ).id,
  );
  return ids;
}

test('alarms API: roles, bad input, unknown ids, illegal transitions, audit, paging', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const ids = await seed(p);
  const viewer = await token(p, 'viewer');
  const ops = await token(p, 'operator');

  const list = await call(p, viewer, 'GET', '/alarms');
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.items.map((a: { id: number }) => a.id),
    [...ids].reverse(),
  );
  assert.equal(list.body.nextCursor, null);
  const page1 = await call(p, viewer, 'GET', '/alarms?limit=3');
  assert.equal(page1.body.items.length, 3);
  const page2 = await call(p, viewer, 'GET', `/alarms?limit=3&cursor=${page1.body.nextCursor as string}`);
  assert.deepEqual(
    page2.body.items.map((a: { id: number }) => a.id),
    [ids[0]],
  );
  const crit = await call(p, viewer, 'GET', '/alarms?severity=critical&source=rule');
  assert.deepEqual(
    crit.body.items.map((a: { deviceId: string }) => a.deviceId),
    ['dev-b'],
  );

  for (const [url, field] of [
    ['/alarms?state=ACTIVE,NOPE', 'querystring.state'],
    ['/alarms?source=mqtt', 'querystring.source'],
    ['/alarms?cursor=abc', 'querystring.cursor'],
    ['/alarms?limit=0', 'querystring.limit'],
    ['/alarms?since=-5', 'querystring.since'],
    ['/alarms?color=red', 'querystring'],
  ] as const) {
    const r = await call(p, viewer, 'GET', url);
    assert.equal(r.status, 422, `${url}: ${JSON.stringify(r.body)}`);
    assert.match(
      String(r.body.error.field ?? r.body.error.message),
      new RegExp(field.replace('.', '\\.')),
      url,
    );
  }
  assert.equal((await call(p, viewer, 'GET', '/alarms/99999')).status, 404);
  assert.equal((await call(p, viewer, 'GET', '/alarms/abc')).status, 404);
  assert.equal((await call(p, ops, 'POST', '/alarms/99999/ack')).status, 404);

  const id = ids[1]!;
  const denied = await call(p, viewer, 'POST', `/alarms/${id}/ack`);
  assert.equal(denied.status, 403);
  const acked = await call(p, ops, 'POST', `/alarms/${id}/ack`);
  assert.equal(acked.status, 200, JSON.stringify(acked.body));
  assert.equal(acked.body.state, 'ACTIVE_ACK');
  assert.equal(acked.body.ackBy, 'operator-alarms');
  const again = await call(p, ops, 'POST', `/alarms/${id}/ack`);
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'ALARM_ILLEGAL_TRANSITION');
  const cleared = await call(p, ops, 'POST', `/alarms/${id}/clear`);
  assert.equal(cleared.body.state, 'CLEARED_ACK');
  assert.equal((await call(p, ops, 'POST', `/alarms/${id}/clear`)).status, 409);
  const active = await call(p, viewer, 'GET', '/alarms?state=ACTIVE');
  assert.ok(!active.body.items.some((a: { id: number }) => a.id === id));

  const audit = await api(p, 'GET', `/audit?resource=alarms/${id}`);
  assert.deepEqual(
    audit.body.items.map(
      (e: { action: string; actor: { name: string } }) => `${e.action} by ${e.actor.name}`,
    ),
    ['alarm.clear by operator-alarms', 'alarm.ack by operator-alarms'],
  );
});

test("alarms API: a customer's user sees only alarms on the customer's devices and cannot ack", async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  for (const id of ['dev-a', 'dev-b']) assert.equal((await api(p, 'POST', '/devices', { id })).status, 201);
  assert.ok((await api(p, 'PUT', '/customers/acme', { name: 'ACME', devices: ['dev-a'] })).status < 300);
  assert.equal(
    (
      await api(p, 'POST', '/users', {
        email: 'cleo@acme.example',
        role: 'operator',
        customer: 'acme',
        password: PASSWORD,
      })
    ).status,
    201,
  );
  const ids = await seed(p);
  const login = await p.app.http.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'cleo@acme.example', password: PASSWORD },
  });
  assert.equal(login.statusCode, 200, login.body);
  const setCookie = login.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0]! : String(setCookie)).split(';')[0]!;
  const csrf = (JSON.parse(login.body) as { csrf?: string }).csrf ?? '';
  const customer = { cookie, 'x-csrf-token': csrf };

  const seen = await call(p, customer, 'GET', '/alarms');
  assert.equal(seen.status, 200, JSON.stringify(seen.body));
  assert.deepEqual(
    seen.body.items.map((a: { id: number }) => a.id),
    [ids[2], ids[0]],
  );
  assert.equal((await call(p, customer, 'GET', `/alarms/${ids[0]!}`)).status, 200);
  assert.equal(
    (await call(p, customer, 'GET', `/alarms/${ids[1]!}`)).status,
    404,
    "another customer's device",
  );
  assert.equal((await call(p, customer, 'GET', `/alarms/${ids[3]!}`)).status, 404, 'an SLO alarm');
  assert.equal((await call(p, customer, 'POST', `/alarms/${ids[0]!}/ack`)).status, 403);
});
