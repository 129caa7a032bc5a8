/**
 * Two telemetry nodes on one store with cluster events over a real NATS server: a decoder changed
 * through node A is used by node B at once (an `invalidate` event), not after B's cache TTL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NatsClusterEvents } from '../cluster/index.js';
import { silentLogger } from '../core/logger.js';
import { openSqlite } from '../store/index.js';
import { NATS_URL, requireNats } from '../test-support/services.js';
import { MemoryDirectory, startHarness } from './test-harness.js';

const decoder = (metric: string) => ({
  id: 'boiler-json',
  type: 'json',
  spec: { metrics: [{ path: 't', name: metric }] },
});

test('nats: a decoder changed on node A is used by node B at once', async (t) => {
  if (!(await requireNats(t))) return;
  const subject = `tsunagu.test.${randomBytes(4).toString('hex')}`;
  const db = openSqlite(':memory:');
  const directory = new MemoryDirectory();
  directory.addModel('boiler', 'boiler-json');
  directory.addDevice('b1', 'boiler');
  const nodes = [];
  for (const id of ['a', 'b']) {
    const clusterEvents = await NatsClusterEvents.connect({
      url: NATS_URL,
      nodeId: id,
      subject,
      log: silentLogger,
    });
    t.after(() => clusterEvents.close());
    const h = await startHarness({ db, directory, clusterEvents });
    t.after(() => h.close());
    nodes.push(h);
  }
  t.after(() => db.close()); // after-hooks run in order: the harnesses close first
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  await a.telemetry.decoders.put(decoder('temp'), 'create');
  const ingestOnB = async (): Promise<string[]> => {
    const r = await b.telemetry.ingest({
      deviceId: 'b1',
      kind: 'telemetry',
      transport: 'mqtt',
      topic: 'devices/b1/telemetry',
      payload: Buffer.from(JSON.stringify({ t: 21 })),
    });
    await r.persisted;
    const pts = await b.telemetry.store.queryPoints({
      deviceId: 'b1',
      from: 0,
      to: b.clock.now() + 1e6,
      limit: 10,
    });
    return [...new Set(pts.map((p) => p.metric))].sort();
  };
  assert.deepEqual(await ingestOnB(), ['temp'], 'B compiled and cached the first version');

  await a.telemetry.decoders.put(decoder('water_temp'), 'upsert');
  const deadline = Date.now() + 5000;
  let metrics: string[] = [];
  while (Date.now() < deadline) {
    metrics = await ingestOnB();
    if (metrics.includes('water_temp')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(
    metrics,
    ['temp', 'water_temp'],
    'B decodes with the new version (its clock has not moved)',
  );
});
