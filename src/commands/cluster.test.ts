/**
 * Two command nodes on one PostgreSQL schema, with the cluster seams (PostgreSQL leases, NATS
 * events): a command sent through node A for a device whose shard node B owns times out exactly
 * once (on B), and A's long poll hears it; when B dies (its database connection is cut, so its
 * leases run out), A takes the shard over and the command still times out exactly once (on A).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Cluster } from '../cluster/index.js';
import { ManualClock } from '../core/clock.js';
import { EventBus, type TsunaguEvents } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { type PostgresDatabase } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { createCommandStore } from './index.js';
import { CommandService } from './service.js';
import { directory } from './test-helpers.js';
import { until } from '../test-support/until.js';
import { openTestClusterNode, testClusterSubject } from '../test-support/cluster-node.js';

const actor = { kind: 'token', id: 'admin' } as const;

interface Node {
  name: string;
  db: PostgresDatabase;
  cluster: Cluster;
  broker: FakeBroker;
  service: CommandService;
  finished: TsunaguEvents['command.finished'][];
}

test('postgres+nats: a command sent through A times out exactly once, on the owner, also after the owner dies', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  const schema = await freshPgSchema('cmdcluster');
  t.after(() => schema.drop());
  const clock = new ManualClock();
  const subject = testClusterSubject();
  const nodes: Node[] = [];
  t.after(async () => {
    for (const n of nodes) {
      await n.service.stop();
      await n.cluster.close().catch(() => undefined);
      await n.db.close().catch(() => undefined);
    }
  });
  for (const name of ['A', 'B']) {
    const { db, cluster } = await openTestClusterNode(schema.schema, subject, name);
    const broker = new FakeBroker();
    const bus = new EventBus(silentLogger);
    const service = new CommandService({
      store: await createCommandStore({ db }),
      broker,
      bus,
      clock,
      log: silentLogger,
      directory,
      ownership: cluster.ownership,
      events: cluster.events,
    });
    await service.start();
    const finished: TsunaguEvents['command.finished'][] = [];
    bus.on('command.finished', (e) => finished.push(e));
    nodes.push({ name, db, cluster, broker, service, finished });
  }
  const [a, b] = nodes as [Node, Node];
  await until('two nodes share the shards', () => {
    const held = nodes.map((n) => n.cluster.ownership.ownedShards().length);
    return held[0] === 8 && held[1] === 8;
  });
  const ownedByB = (prefix: string): string => {
    for (let i = 0; ; i++) if (b.cluster.ownership.owns(`${prefix}-${i}`)) return `${prefix}-${i}`;
  };
  const outcomes = (id: string): string[] =>
    nodes.flatMap((n) => n.finished.filter((e) => e.commandId === id).map((e) => `${n.name}:${e.status}`));

  // 1. Created and sent on A; B owns the device's shard and runs the deadline.
  const dev1 = ownedByB('scooter');
  a.broker.connected.set(dev1, {
    clientId: dev1,
    remoteAddress: '127.0.0.1',
    protocolVersion: 4,
    keepalive: 60,
    cleanStart: true,
    transport: 'tcp',
  });
  const { record: c1 } = await a.service.create(dev1, { name: 'lock', timeoutMs: 5000 }, actor);
  assert.equal(c1.status, 'sent');
  assert.equal(a.service.holds(c1.id)?.armed, false, 'A does not own the deadline');
  await until('B arms the deadline', () => b.service.holds(c1.id)?.armed === true);
  const longPoll = a.service.waitFor(c1.id, 600_000);
  clock.advance(5000);
  // Due timers armed late (e.g. re-armed after a lease blip) fire on the next advance.
  await until('the command times out', () => (clock.advance(0), outcomes(c1.id).length > 0));
  const polled = await longPoll;
  assert.equal(polled.status, 'timed_out', 'A’s long poll hears the outcome from B');
  clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(outcomes(c1.id), ['B:timed_out']);
  assert.equal((await a.service.get(c1.id)).status, 'timed_out');

  // 2. The owner dies before the deadline: A takes the shard over and times the command out once.
  const dev2 = ownedByB('boiler');
  const { record: c2 } = await a.service.create(
    dev2,
    { name: 'setpoint', offline: 'queue', expiresInMs: 10_000 },
    actor,
  );
  assert.equal(c2.status, 'queued');
  await until('B arms the expiry', () => b.service.holds(c2.id)?.armed === true);
  let both = 0;
  const sampler = setInterval(() => {
    if (a.cluster.ownership.owns(dev2) && b.cluster.ownership.owns(dev2)) both++;
  }, 10);
  t.after(() => clearInterval(sampler));
  await b.db.close(); // B's lease renewals fail from now on
  await until('B stops acting on its shards', () => !b.cluster.ownership.owns(dev2));
  // The lost-shard notice reaches the service just after ownership flips: wait for it, not a tick.
  await until(
    'B cancelled the timer when it lost the shard',
    () => !(b.service.holds(c2.id)?.armed ?? false),
  );
  await until('A owns the dead node’s shard', () => a.cluster.ownership.owns(dev2));
  await until('A arms the expiry', () => a.service.holds(c2.id)?.armed === true);
  clearInterval(sampler);
  assert.equal(both, 0, 'never owned by both nodes at once');
  clock.advance(10_000);
  await until('the command expires', () => (clock.advance(0), outcomes(c2.id).length > 0));
  clock.advance(60_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(outcomes(c2.id), ['A:expired']);
});
