/**
 * Rules retries, job rollouts and schedule slots on two nodes (PostgreSQL leases, NATS events):
 * each piece of work runs on the node that owns its shard, never on both (docs/cluster.md,
 * "Adopted so far"). The store's compare-and-sets would hide a second node doing the work, so the
 * test watches each node's own calls: the jobs store's `releaseTargets`, the schedules store's
 * `insertExecutions`, and each node's per-rule attempt counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobsModule } from '../jobs/index.js';
import type { SchedulesModule } from '../schedules/index.js';
import type { Execution } from '../schedules/index.js';
import { api } from '../test-support/platform-api.js';
import type { TestPlatform } from '../test-support/platform.js';
import { startPlatformCluster } from '../test-support/platform-cluster.js';
import { requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const moduleOf = <M>(p: TestPlatform, name: string): M => p.app.modules.find((m) => m.name === name) as M;

test('postgres+nats: rules retries, job rollouts and schedule slots run once, on the shard owner', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const nodes = await startPlatformCluster(t, 'modtimers', ['mt-a', 'mt-b']);
  const [a, b] = nodes as [TestPlatform, TestPlatform];
  await until('both nodes hold shards', () => nodes.every((n) => n.app.cluster!.status().shardsHeld > 0));
  const owner = (key: string): TestPlatform => {
    const holders = nodes.filter((n) => n.app.cluster!.ownership.owns(key));
    assert.equal(holders.length, 1, `one owner of ${key}`);
    return holders[0]!;
  };
  const name = (n: TestPlatform): string => (n === a ? 'A' : 'B');

  // Devices spread over both nodes' shards.
  const ids = Array.from({ length: 8 }, (_, i) => `mt-${i}`);
  for (const id of ids) assert.equal((await api(a, 'POST', '/devices', { id })).status, 201);
  assert.ok(new Set(ids.map((id) => name(owner(id)))).size === 2, 'devices on both nodes’ shards');

  // Each node's own store calls.
  const released: string[] = [];
  const inserted: [string, string][] = [];
  for (const n of nodes) {
    const jobs = moduleOf<JobsModule>(n, 'jobs').store;
    const release = jobs.releaseTargets.bind(jobs);
    jobs.releaseTargets = (jobId, k, now) => (released.push(`${name(n)}:${jobId}`), release(jobId, k, now));
    const sched = moduleOf<SchedulesModule>(n, 'schedules').store;
    const insert = sched.insertExecutions.bind(sched);
    sched.insertExecutions = (es: readonly Execution[]) => {
      for (const e of es) inserted.push([name(n), e.deviceId]);
      return insert(es);
    };
  }

  // Schedules: every target's slot is executed once, by the owner of the device's shard.
  const created = await api(b, 'POST', '/schedules', {
    name: 'all-day',
    timezone: 'UTC',
    targets: { devices: ids },
    rules: [{ name: 'always', when: {}, slots: [{ time: '00:00', patch: { mode: 'heat' } }] }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await until(
    'every device has its execution',
    () => new Set(inserted.map(([, d]) => d)).size === ids.length,
  );
  for (const id of ids) {
    const by = inserted.filter(([, d]) => d === id).map(([n]) => n);
    assert.deepEqual(by, [name(owner(id))], `${id}: executed by its owner only`);
  }

  // Job rollout: only the owner of `job:<id>` releases targets, pass after pass.
  const jobs = moduleOf<JobsModule>(a, 'jobs');
  await jobs.service.create({ jobId: 'mt-job', document: { v: 1 }, targets: { deviceIds: ids } });
  const jobOwner = name(owner('job:mt-job'));
  await until(
    'the owner ran three passes',
    () => released.filter((r) => r === `${jobOwner}:mt-job`).length >= 3,
  );
  assert.deepEqual(new Set(released.filter((r) => r.endsWith(':mt-job'))), new Set([`${jobOwner}:mt-job`]));
  const status = (await api(b, 'GET', '/jobs/mt-job')).body;
  assert.equal(status.progress.PENDING_ROLLOUT, 0, 'every target released');

  // Rules: a failing action's three attempts (two retries) all on one node — the delivery's owner.
  const rule = await api(a, 'POST', '/rules', {
    name: 'mt_rule',
    sql: "SELECT temp FROM 'mt/+/telemetry'",
    actions: [{ type: 'http', url: 'http://127.0.0.1:9/hook', maxAttempts: 3 }],
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  await until('B has the rule', async () => (await api(b, 'GET', '/rules/mt_rule')).status === 200);
  await b.app.broker.publish({ topic: 'mt/mt-0/telemetry', payload: JSON.stringify({ temp: 90 }), qos: 1 });
  const attempts = async (n: TestPlatform): Promise<{ succeeded: number; failed: number; retries: number }> =>
    (await api(n, 'GET', '/rules/mt_rule')).body.metrics.actions;
  await until(
    'the delivery failed after its last attempt',
    async () => (await attempts(a)).failed + (await attempts(b)).failed === 1,
    60_000,
  );
  const per = [await attempts(a), await attempts(b)].map((m) => m.retries + m.failed + m.succeeded);
  assert.deepEqual([...per].sort(), [0, 3], `all three attempts on one node (A ${per[0]}, B ${per[1]})`);
});
