/**
 * PgPresence on the real PostgreSQL and NATS, two nodes in one process (each with its own pool):
 * a connection on A is seen by B (view, `locate`, one `notice` change each way); a takeover on A
 * (new open before the old close) is one connection; rows swept while A is alive are written back
 * (`restored`); A leaving cleanly clears its devices on B.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceChange } from '../registry/index.js';
import { openTestClusterNode, testClusterSubject } from '../test-support/cluster-node.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

test('postgres+nats: presence across two nodes — notices, locate, takeover, restore after a sweep, clean leave', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('presence');
  const subject = testClusterSubject();
  const a = await openTestClusterNode(schema.schema, subject, 'A');
  const b = await openTestClusterNode(schema.schema, subject, 'B');
  let aOpen = true;
  t.after(async () => {
    if (aOpen) {
      await a.cluster.presence.stop();
      await a.cluster.close();
    }
    await b.cluster.presence.stop();
    await b.cluster.close();
    await a.db.close();
    await b.db.close();
    await schema.drop();
  });
  const [pa, pb] = [a.cluster.presence, b.cluster.presence];
  await pa.start();
  await pb.start();
  const seenOnB: PresenceChange[] = [];
  pb.onChange((c) => seenOnB.push(c));

  pa.connected('d1', 1000);
  pa.connected('d1', 2000); // takeover on A: the new connection opens first
  assert.equal(pa.disconnected('d1', 2001), false);
  await until('B sees d1 on A', () => pb.isConnected('d1'));
  assert.deepEqual(
    pb.where('d1').map((e) => [e.nodeId, e.member]),
    [['A', a.cluster.status().nodeId]],
  );
  const located = await pb.locate('d1');
  assert.equal(located.length, 1);
  assert.equal(located[0]!.nodeId, 'A');
  assert.equal(located[0]!.since, 2000, 'the newest connection');
  assert.equal(pb.isLocal('d1'), false);
  assert.equal(pb.connectedCount(), 1);

  // Rows swept while A is alive (as if its membership had lapsed): A writes them back.
  const restored: PresenceChange[] = [];
  pa.onChange((c) => c.cause === 'restored' && restored.push(c));
  await a.db.pool.query('DELETE FROM cluster_presence');
  b.cluster.events.publish('presence', { member: located[0]!.member, nodeId: 'A', gone: true });
  await until('A restored its row', () => restored.length === 1);
  await until('the row is back', async () => (await pb.locate('d1')).length === 1);
  await until('B sees d1 again', () => pb.isConnected('d1'));

  // A leaves cleanly: B drops its devices.
  assert.equal(pa.disconnected('d1', 3000), true);
  await until('B sees d1 gone', () => !pb.isConnected('d1'));
  assert.deepEqual(await pb.locate('d1'), []);
  pa.connected('d2', 4000);
  await until('B sees d2', () => pb.isConnected('d2'));
  await pa.stop();
  await a.cluster.close();
  aOpen = false;
  await until('B forgets A’s devices', () => !pb.isConnected('d2'));
  assert.equal(pb.connectedCount(), 0);
  const d1 = seenOnB.filter((c) => c.deviceId === 'd1').map((c) => [c.online, c.cause]);
  assert.deepEqual(d1.slice(0, 1), [[true, 'notice']], 'one change when d1 appeared');
  assert.deepEqual(d1.at(-1), [false, 'notice']);
});
