/**
 * Device facts, one cache fed by change events on every node: a device's model and tags changed
 * through node A reach node B's working sets — health's tracked device (its heartbeat deadline) and
 * the SLO engine's fleet availability — through the `invalidate` cluster event, not only on A
 * (where `device.changed` is emitted). Two whole platforms on one PostgreSQL schema and NATS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SloModule } from '../slo/index.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import type { TestPlatform } from '../test-support/platform.js';
import { startPlatformCluster } from '../test-support/platform-cluster.js';
import { until } from '../test-support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = Record<string, any>;

async function call(
  p: TestPlatform,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  body?: Json,
): Promise<Json> {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(body ? { payload: body } : {}),
  });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as Json;
}

test('postgres+nats: a device changed through node A — node B’s health and SLO availability follow', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const nodes = await startPlatformCluster(t, 'devicefacts', ['node-a', 'node-b'], {
    timing: { ttlMs: 2000, renewMs: 300, marginMs: 700 },
  });
  const [a, b] = nodes as [TestPlatform, TestPlatform];

  await call(a, 'POST', '/device-models', {
    name: 'slow',
    heartbeat: { intervalMs: 3_600_000, graceMs: 0, signOfLife: 'heartbeat' },
  });
  await call(a, 'POST', '/device-models', {
    name: 'fast',
    heartbeat: { intervalMs: 600_000, graceMs: 0, signOfLife: 'heartbeat' },
  });
  await call(a, 'POST', '/slos', {
    name: 'fast-fleet',
    sli: { type: 'availability', selector: { model: 'fast' } },
    target: 0.9,
  });
  await call(a, 'POST', '/devices', { id: 'df-1', model: 'slow', tags: ['old'] });
  const slo = (p: TestPlatform): SloModule => p.app.modules.find((m) => m.name === 'slo') as SloModule;
  await until('B knows the SLO', () => slo(b).engine.has('fast-fleet'));
  // B tracks the device with its first model (reading the service state tracks it there).
  assert.equal((await call(b, 'GET', '/devices/df-1/service-state')).model, 'slow');
  assert.deepEqual(slo(b).engine.availabilityCounts('fast-fleet')?.eligible, 0);

  await call(a, 'PATCH', '/devices/df-1', { model: 'fast', tags: ['new'] });
  await until(
    'B’s health tracks the new model',
    async () => (await call(b, 'GET', '/devices/df-1/service-state')).model === 'fast',
  );
  await until(
    'B’s SLO availability counts the device under its new model',
    () => slo(b).engine.availabilityCounts('fast-fleet')?.eligible === 1,
  );
});
