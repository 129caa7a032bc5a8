/**
 * Two whole platforms built with the cluster seams (BuildOptions.cluster) on one PostgreSQL schema
 * and NATS: membership, per-node cluster gauges on /metrics, and a closing node handing its
 * leases over at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireNats, requirePostgres } from '../test-support/services.js';
import type { TestPlatform } from '../test-support/platform.js';
import { startPlatformCluster } from '../test-support/platform-cluster.js';
import { until } from '../test-support/until.js';

test('postgres+nats: two app nodes — members, cluster gauges, graceful hand-over', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const nodes = await startPlatformCluster(t, 'appcluster', ['node-a', 'node-b'], {
    timing: { ttlMs: 2000, renewMs: 300, marginMs: 700 },
  });
  const [a, b] = nodes as [TestPlatform, TestPlatform];
  await until('both nodes hold half of the shards', () =>
    nodes.every((n) => n.app.cluster!.status().shardsHeld === 32),
  );
  assert.deepEqual(
    a.app
      .cluster!.status()
      .members.map((m) => m.nodeId.split('#')[0])
      .sort(),
    ['node-a', 'node-b'],
  );

  const metrics = await a.app.http.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /^tsunagu_cluster_members 2$/m);
  assert.match(metrics.body, /^tsunagu_cluster_leases_held 32$/m);
  const rtt = /^tsunagu_cluster_nats_rtt_seconds (\S+)$/m.exec(metrics.body);
  assert.ok(rtt && Number(rtt[1]) >= 0, `NATS round trip gauge: ${rtt?.[1]}`);

  await b.close();
  nodes.pop();
  await until('the remaining node holds every shard', () => a.app.cluster!.status().shardsHeld === 64);
});
