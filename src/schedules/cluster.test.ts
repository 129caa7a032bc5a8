/**
 * Two platform nodes on one PostgreSQL schema and NATS: a boiler connected to the node that does
 * NOT own its shard is online to the owner (presence seam, not the owner's broker), so the owner's
 * slot write is `sent` and verified rather than parked as `offline` until a reconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireNats, requirePostgres } from '../test-support/services.js';
import type { TestPlatform } from '../test-support/platform.js';
import { startPlatformCluster } from '../test-support/platform-cluster.js';
import { until } from '../test-support/until.js';
import { api, boiler, register, type Body } from './e2e-helpers.js';

test('postgres+nats: a boiler on the other node is online to the executor that owns it', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const nodes = await startPlatformCluster(t, 'schedcluster', ['sched-a', 'sched-b']);
  const [a, b] = nodes as [TestPlatform, TestPlatform];
  await until('both nodes hold shards', () => nodes.every((n) => n.app.cluster!.status().shardsHeld > 0));

  // A device whose shard node B owns; it connects to node A.
  let id = '';
  for (let i = 0; !id; i++)
    if (b.app.cluster!.ownership.owns(`b-${i}`) && !a.app.cluster!.ownership.owns(`b-${i}`)) id = `b-${i}`;
  const secret = await register(a, id);
  const dev = await boiler(a, id, secret, true);
  t.after(() => dev.close());
  await until('node B hears the device is connected', () => b.app.cluster!.presence.isConnected(id));

  const created = await api(b, 'POST', '/schedules', {
    name: 'all-day',
    timezone: 'UTC',
    targets: { devices: [id] },
    rules: [{ name: 'always', when: {}, slots: [{ time: '00:00', patch: { mode: 'heat', setpoint: 55 } }] }],
    verify: { timeoutMs: 60_000, attempts: 2, backoffMs: 1000 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const executions = async (): Promise<Body[]> =>
    (await api(a, 'GET', `/devices/${id}/schedule-executions`)).body.items as Body[];
  await until('the execution is verified', async () => (await executions())[0]?.status === 'verified');
  const [e] = await executions();
  assert.equal(e!.attempts, 1, 'written once by the owner, not parked as offline');
  assert.deepEqual(dev.deltas.at(-1), { mode: 'heat', setpoint: 55 });
});
