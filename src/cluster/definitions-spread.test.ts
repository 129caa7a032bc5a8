/**
 * Definitions and state changed through one node are seen by the other at once (cluster events
 * over the real NATS, two whole apps on one PostgreSQL schema): an SLO created, replaced and deleted
 * through A is listed (and gone) on B; a notification channel and route created through A are
 * listed on B; a service state set by hand through A is what B answers (device and fleet views).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNats, requirePostgres } from '../test-support/services.js';
import type { TestPlatform } from '../test-support/platform.js';
import { startPlatformCluster } from '../test-support/platform-cluster.js';
import { until } from '../test-support/until.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON response bodies in assertions
type Json = any;

test('postgres+nats: SLO, notify and service-state changes through A are read on B', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  // Every node sharing a database needs the same key for stored secrets (channel URLs are sealed).
  const keyDir = mkdtempSync(join(tmpdir(), 'tsunagu-key-'));
  t.after(() => rmSync(keyDir, { recursive: true, force: true }));
  const secretKeyFile = join(keyDir, 'secret.key');
  writeFileSync(secretKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const nodes = await startPlatformCluster(t, 'spread', ['sa', 'sb'], { config: { secretKeyFile } });
  const [a, b] = nodes as [TestPlatform, TestPlatform];
  const call = async (n: TestPlatform, method: string, url: string, payload?: unknown): Promise<Json> => {
    const r = await n.app.http.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: n.auth,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
    return r.body === '' ? undefined : r.json();
  };

  // SLO definitions.
  const slo = { name: 'unlock', sli: { type: 'command-success', command: 'unlock' }, target: 0.99 };
  await call(a, 'POST', '/slos', slo);
  await until('B lists the SLO created through A', async () =>
    ((await call(b, 'GET', '/slos')).items as Json[]).some((d) => d.name === 'unlock'),
  );
  await call(a, 'PUT', '/slos/unlock', { ...slo, target: 0.95 });
  await until(
    'B has the replaced target',
    async () => (await call(b, 'GET', '/slos/unlock')).target === 0.95,
  );
  await call(a, 'DELETE', '/slos/unlock');
  await until(
    'B no longer lists it',
    async () => ((await call(b, 'GET', '/slos')).items as Json[]).length === 0,
  );

  // Notification channels and routes.
  const ch = await call(a, 'POST', '/notification-channels', {
    name: 'hook',
    type: 'webhook',
    url: 'http://127.0.0.1:9/hook',
    groupWindowMs: 0,
  });
  const route = await call(a, 'POST', '/notification-routes', { name: 'all', channelIds: [ch.id] });
  await until('B lists the channel and route created through A', async () => {
    const [chs, routes] = [
      await call(b, 'GET', '/notification-channels'),
      await call(b, 'GET', '/notification-routes'),
    ];
    return (chs as Json[]).some((c) => c.id === ch.id) && (routes as Json[]).some((r) => r.id === route.id);
  });
  await call(a, 'DELETE', `/notification-routes/${route.id}`);
  await until(
    'B no longer lists the route',
    async () => (await call(b, 'GET', '/notification-routes')).length === 0,
  );

  // Service state set by hand through A, read through B (device view and fleet counts).
  await call(a, 'POST', '/devices', { id: 'scooter-1' });
  await until('B tracks the device', async () => {
    const r = await b.app.http.inject({
      method: 'GET',
      url: '/api/v1/devices/scooter-1/service-state',
      headers: b.auth,
    });
    return r.statusCode === 200;
  });
  await call(a, 'PUT', '/devices/scooter-1/service-state', { state: 'maintenance', note: 'brake pads' });
  await until('B answers the state set through A', async () => {
    const s = await call(b, 'GET', '/devices/scooter-1/service-state');
    const fleet = await call(b, 'GET', '/fleet/health');
    return s.state === 'maintenance' && fleet.byState.maintenance === 1;
  });
});
