/**
 * Device facts are fed by change events on every node: `device.changed` is emitted only on the node
 * where the change was made; the others hear the `invalidate` cluster event. Health's tracked
 * device (model, tags, heartbeat policy) follows that event too, so a node that owns a device whose
 * model changed elsewhere judges it by the new model's deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.js';
import { singleNodeEvents } from '../core/cluster-events.js';
import { silentLogger } from '../core/logger.js';
import { openSqlite } from '../store/database.js';
import { until } from '../test-support/until.js';
import { wireHealthCluster } from './health-cluster.js';
import { buildEngine, MemoryDirectory } from './test-fixtures.js';

test('a device changed on another node (cluster invalidate only): health re-reads its model and deadline', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const db = openSqlite(':memory:');
  const dir = new MemoryDirectory();
  dir.addModel({ name: 'slow', heartbeat: { intervalMs: 600_000, graceMs: 0, signOfLife: 'heartbeat' } });
  dir.addModel({ name: 'fast', heartbeat: { intervalMs: 10_000, graceMs: 0, signOfLife: 'heartbeat' } });
  dir.addDevice('d1', 'slow', ['old']);
  const h = await buildEngine(db, clock, dir);
  const events = singleNodeEvents(silentLogger);
  const unwire = wireHealthCluster(h.engine, h.store, events, silentLogger);
  t.after(async () => {
    for (const u of unwire) u();
    await h.engine.stop();
    await db.close();
  });
  assert.equal(h.engine.devices.get('d1')!.model, 'slow');

  // Another node wrote the change and published the invalidation; no `device.changed` here.
  dir.addDevice('d1', 'fast', ['new']);
  events.publish('invalidate', { kind: 'device', id: 'd1' });
  await until('health tracks the new model', () => h.engine.devices.get('d1')!.model === 'fast');
  assert.deepEqual(h.engine.devices.get('d1')!.tags, ['new']);
  clock.advance(10_250);
  assert.equal(h.engine.devices.get('d1')!.state, 'out_of_service', 'judged by the new model’s interval');
});
