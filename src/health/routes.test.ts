import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createHttpServer, registerApi } from '../http/server.js';
import { openSqlite } from '../store/database.js';
import { healthRoutes } from './routes.js';
import { buildEngine, MemoryDirectory } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const OPS = { authorization: 'Bearer ops' };
const VIEWER = { authorization: 'Bearer viewer' };

async function setup(t: TestContext) {
  const clock = new ManualClock(T0);
  const db = openSqlite(':memory:');
  const dir = new MemoryDirectory();
  dir.addModel({
    name: 'scooter',
    heartbeat: { intervalMs: 60_000, graceMs: 30_000, signOfLife: 'heartbeat' },
  });
  for (let i = 1; i <= 3; i++) dir.addDevice(`s${i}`, 'scooter', ['berlin']);
  const h = await buildEngine(db, clock, dir);
  const tokens = {
    verify: (s: string) =>
      s === 'ops'
        ? { id: 'tok-ops', name: 'ops', role: 'operator' as const }
        : s === 'viewer'
          ? { id: 'tok-viewer', name: 'viewer', role: 'viewer' as const }
          : undefined,
  };
  const http = createHttpServer({ log: silentLogger, metrics: new Registry(), tokens, ready: () => true });
  await registerApi(http, tokens, [healthRoutes(h.api)]);
  t.after(async () => {
    await http.close();
    await h.engine.stop();
    await db.close();
  });
  return { clock, h, http };
}

test('PUT service-state needs a note and the operator role; GET shows current state and history', async (t) => {
  const { http } = await setup(t);
  const url = '/api/v1/devices/s1/service-state';
  let r = await http.inject({ method: 'PUT', url, headers: OPS, payload: { state: 'out_of_service' } });
  assert.equal(r.statusCode, 422);
  assert.equal(r.json().error.field, 'body.note');
  r = await http.inject({ method: 'PUT', url, headers: OPS, payload: { state: 'out_of_service', note: '' } });
  assert.equal(r.statusCode, 422);
  assert.equal(r.json().error.code, 'HEALTH_NOTE_REQUIRED');
  r = await http.inject({
    method: 'PUT',
    url,
    headers: VIEWER,
    payload: { state: 'out_of_service', note: 'x' },
  });
  assert.equal(r.statusCode, 403);
  r = await http.inject({
    method: 'PUT',
    url,
    headers: OPS,
    payload: { state: 'out_of_service', note: 'cracked deck' },
  });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().state, 'out_of_service');
  assert.deepEqual(r.json().reasons, ['manual']);
  r = await http.inject({ method: 'GET', url, headers: VIEWER });
  assert.equal(r.statusCode, 200);
  const body = r.json();
  assert.equal(body.history.length, 1);
  assert.deepEqual(body.history[0].actor, { kind: 'token', id: 'tok-ops', name: 'ops' });
  assert.equal(body.history[0].note, 'cracked deck');
  r = await http.inject({ method: 'GET', url: '/api/v1/devices/nope/service-state', headers: VIEWER });
  assert.equal(r.statusCode, 404);
});

test('fleet health, out-of-service paging and policies over HTTP', async (t) => {
  const { clock, http } = await setup(t);
  let r = await http.inject({
    method: 'PUT',
    url: '/api/v1/health/policies/scooter',
    headers: OPS,
    payload: {
      heartbeat: { intervalMs: 10_000, graceMs: 0 },
      errorThresholds: [
        { code: 'E1', threshold: 2, windowMs: 1000, severity: 'error', action: 'out_of_service' },
      ],
    },
  });
  assert.equal(r.statusCode, 200, r.body);
  r = await http.inject({
    method: 'PUT',
    url: '/api/v1/health/policies/scooter',
    headers: OPS,
    payload: {
      errorThresholds: [
        { code: 'E1', threshold: 0, windowMs: 1000, severity: 'error', action: 'out_of_service' },
      ],
    },
  });
  assert.equal(r.statusCode, 422);
  r = await http.inject({ method: 'GET', url: '/api/v1/health/policies', headers: VIEWER });
  assert.equal(r.json()[0].heartbeat.intervalMs, 10_000);
  clock.advance(10_000); // the override (10 s, no grace) applies: everyone is out
  r = await http.inject({ method: 'GET', url: '/api/v1/fleet/health', headers: VIEWER });
  assert.equal(r.json().byState.out_of_service, 3);
  assert.equal(r.json().inServiceShare, 0);
  r = await http.inject({ method: 'GET', url: '/api/v1/fleet/out-of-service?limit=2', headers: VIEWER });
  assert.equal(r.json().total, 3);
  assert.equal(r.json().items.length, 2);
  assert.deepEqual(r.json().items[0].reasons, ['heartbeat_lost']);
  r = await http.inject({
    method: 'GET',
    url: '/api/v1/fleet/out-of-service?offset=2&limit=2',
    headers: VIEWER,
  });
  assert.equal(r.json().items.length, 1);
  r = await http.inject({ method: 'DELETE', url: '/api/v1/health/policies/scooter', headers: OPS });
  assert.equal(r.statusCode, 204);
  r = await http.inject({ method: 'GET', url: '/api/v1/health/policies/scooter', headers: VIEWER });
  assert.equal(r.statusCode, 404);
});

test('a bare reason label means manual:<label>, for setting and for clearing; system reasons cannot be set by hand', async (t) => {
  const { http } = await setup(t);
  const url = '/api/v1/devices/s2/service-state';
  const put = (payload: Record<string, string>) => http.inject({ method: 'PUT', url, headers: OPS, payload });
  let r = await put({ state: 'out_of_service', note: 'front tyre flat', reason: 'flat_tyre' });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json().reasons, ['manual:flat_tyre']);
  r = await put({ state: 'out_of_service', note: 'and the bell', reason: 'manual:bell' });
  assert.deepEqual(r.json().reasons, ['manual:bell', 'manual:flat_tyre']);
  r = await put({ state: 'in_service', note: 'tyre replaced', reason: 'flat_tyre' });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json().reasons, ['manual:bell']);
  for (const reason of ['heartbeat_lost', 'hardware_error:MOTOR', 'flat tyre']) {
    r = await put({ state: 'out_of_service', note: 'x', reason });
    assert.equal(r.statusCode, 422, reason);
    assert.equal(r.json().error.code, 'HEALTH_INVALID_REASON');
    assert.ok(r.json().error.message.includes(reason), r.body);
  }
});

test('GET /health/platform-downtime lists recorded downtime, newest first', async (t) => {
  const { h, http } = await setup(t);
  await h.store.addDowntime({ from: T0 - 60_000, to: T0 - 50_000, clean: true });
  await h.store.addDowntime({ from: T0 - 20_000, to: T0 - 5000, clean: false });
  const r = await http.inject({
    method: 'GET',
    url: '/api/v1/health/platform-downtime?limit=1',
    headers: VIEWER,
  });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), [{ from: T0 - 20_000, to: T0 - 5000, clean: false }]);
});
