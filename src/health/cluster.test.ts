/**
 * Two health nodes on one PostgreSQL schema, with the cluster seams (PostgreSQL leases, NATS
 * events): heartbeats of a device owned by node B that arrive at node A keep it in service; a
 * silent device goes out of service exactly once fleet-wide (on B); when B dies (its database
 * connection is cut, so its leases run out) A takes the shard over and the deadline still fires
 * exactly once (on A).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Cluster } from '../cluster/index.js';
import { ManualClock } from '../core/clock.js';
import type { HeartbeatPolicy } from '../core/devices.js';
import { EventBus, type TsunaguEvents } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { type PostgresDatabase } from '../store/index.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { HealthEngine } from './engine.js';
import { forwardTo, wireHealthCluster } from './health-cluster.js';
import { createPgHealthStore } from './pg-health-store.js';
import { until } from '../test-support/until.js';
import { openTestClusterNode, testClusterSubject } from '../test-support/cluster-node.js';

interface Node {
  name: string;
  db: PostgresDatabase;
  cluster: Cluster;
  engine: HealthEngine;
  unwire: (() => void)[];
  changes: TsunaguEvents['service-state.changed'][];
}

const hb: HeartbeatPolicy = { intervalMs: 10_000, graceMs: 2_000, signOfLife: 'heartbeat' };

test('postgres+nats: heartbeats reach the owner; a silent device goes out once fleet-wide, also after the owner dies', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('healthcluster');
  t.after(() => schema.drop());
  const clock = new ManualClock();
  const subject = testClusterSubject();
  const nodes: Node[] = [];
  t.after(async () => {
    for (const n of nodes) {
      for (const u of n.unwire) u();
      await n.engine.stop().catch(() => undefined);
      await n.cluster.close().catch(() => undefined);
      await n.db.close().catch(() => undefined);
    }
  });
  for (const name of ['A', 'B']) {
    const { db, cluster } = await openTestClusterNode(schema.schema, subject, name);
    const bus = new EventBus(silentLogger);
    const store = await createPgHealthStore(db);
    const engine = new HealthEngine({
      clock,
      bus,
      log: silentLogger,
      store,
      ownership: cluster.ownership,
      forward: forwardTo(cluster.events),
      flushIntervalMs: 1000,
    });
    await engine.start();
    const unwire = wireHealthCluster(engine, store, cluster.events, silentLogger);
    const changes: TsunaguEvents['service-state.changed'][] = [];
    bus.on('service-state.changed', (e) => changes.push(e));
    nodes.push({ name, db, cluster, engine, unwire, changes });
  }
  const [a, b] = nodes as [Node, Node];
  await until('two nodes share the shards', () => {
    const held = nodes.map((n) => n.cluster.ownership.ownedShards().length);
    return held[0] === 8 && held[1] === 8;
  });
  const ownedByB = (prefix: string): string => {
    for (let i = 0; ; i++) if (b.cluster.ownership.owns(`${prefix}-${i}`)) return `${prefix}-${i}`;
  };
  const dev1 = ownedByB('scooter');
  const dev2 = ownedByB('boiler');
  for (const n of nodes) {
    for (const id of [dev1, dev2]) n.engine.track(id, 'm', [], hb);
    await n.engine.listenersOpen();
  }
  const outs = (id: string): string[] =>
    nodes.flatMap((n) => n.changes.filter((e) => e.deviceId === id).map((e) => `${n.name}:${e.to}`));
  const deadlineOn = (n: Node, id: string): number => n.engine.devices.get(id)!.checkAt;
  assert.equal(deadlineOn(a, dev1), Infinity, 'A holds no deadline for a device B owns');
  assert.notEqual(deadlineOn(b, dev1), Infinity, 'B holds it');

  // dev1's heartbeats arrive at A only; B (the owner) must hear each one.
  const beat = async (): Promise<void> => {
    clock.advance(5_000);
    const at = clock.now();
    a.engine.signOfLife(dev1, at, 'heartbeat');
    await until('B hears the heartbeat', () => b.engine.devices.get(dev1)!.lastSeen === at);
    assert.equal(deadlineOn(a, dev1), Infinity);
  };

  // 1. Three intervals of heartbeats through A keep dev1 in; silent dev2 goes out once, on B.
  for (let i = 0; i < 6; i++) await beat();
  await until('dev2 goes out', () => (clock.advance(0), outs(dev2).length > 0));
  for (let i = 0; i < 12; i++) await beat(); // one more minute: dev2 misses more intervals
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(outs(dev1), [], 'kept in service by heartbeats received on A');
  assert.deepEqual(outs(dev2), ['B:out_of_service']);

  // 2. B dies with dev1's deadline armed: A takes the shard over and the deadline fires once, on A.
  await beat();
  await b.engine.flush(); // the last sign of life is in the store
  await b.db.close(); // B's lease renewals fail from now on
  await until('B stops acting on its shards', () => !b.cluster.ownership.owns(dev1));
  await until('B dropped the deadline', () => deadlineOn(b, dev1) === Infinity);
  await until('A owns the dead node’s shard', () => a.cluster.ownership.owns(dev1));
  await until('A armed the deadline', () => deadlineOn(a, dev1) !== Infinity);
  assert.deepEqual(outs(dev1), [], 'not out while its heartbeats were on time');
  clock.advance(12_000);
  await until('dev1 goes out', () => (clock.advance(0), outs(dev1).length > 0));
  clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(outs(dev1), ['A:out_of_service']);
  assert.deepEqual(outs(dev2), ['B:out_of_service'], 'A took dev2’s state from the store, not again');
});
