/**
 * Two notify nodes on one PostgreSQL schema, with the cluster seams (PostgreSQL leases, NATS
 * events) and one real HTTP webhook sink: notifications queued on either node are delivered once,
 * by the owner of their channel's shard; a storm queued on both nodes makes one window and one
 * group; when the owner loses its leases mid-way (its database connection is cut), the other node
 * delivers the rest — none twice, none lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { type Cluster } from '../cluster/index.js';
import { systemClock } from '../core/clock.js';
import { defaultConfig } from '../core/config.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import { type PostgresDatabase } from '../store/index.js';
import { FakeBroker } from '../test-support/fake-broker.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { createNotify, type NotifyModule } from './index.js';
import { directoryOf, startEndpoint } from './test-fixtures.js';
import type { Channel, NotifyItem } from './types.js';
import { until } from '../test-support/until.js';
import { openTestClusterNode, testClusterSubject } from '../test-support/cluster-node.js';

interface Node {
  name: string;
  db: PostgresDatabase;
  cluster: Cluster;
  notify: NotifyModule;
}

const item = (eventId: string, reason = 'heartbeat_lost'): NotifyItem => ({
  eventId,
  kind: 'service-state.changed',
  severity: 'error',
  reason,
  title: `${eventId} out`,
  at: Date.now(),
  deviceId: eventId,
  data: { to: 'out_of_service' },
});

/**
 * Teardown of a node whose database was closed under it must not hold the run: a helper saw the
 * whole notify run hang after this test twice in five runs (cause not found; see docs/notify.md).
 */
const bounded = (p: Promise<unknown>, ms = 10_000): Promise<unknown> =>
  Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);

test(
  'postgres+nats: the outbox is delivered by one node, exactly once, also when the owner dies mid-way',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
    const schema = await freshPgSchema('notifycluster');
    t.after(() => bounded(schema.drop()));
    const dataDir = mkdtempSync(join(tmpdir(), 'notify-cluster-')); // one secret key for both nodes
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    let down = false;
    const sink = await startEndpoint(() => (down ? 503 : 200));
    t.after(() => sink.close());
    const subject = testClusterSubject();
    const nodes: Node[] = [];
    t.after(async () => {
      for (const n of nodes) {
        await bounded(n.notify.stop!());
        await bounded(n.cluster.close());
        await bounded(n.db.close());
      }
    });
    for (const name of ['A', 'B']) {
      const { db, cluster } = await openTestClusterNode(schema.schema, subject, name);
      const ctx = {
        config: { ...defaultConfig(), dataDir, nodeId: name },
        db,
        bus: new EventBus(silentLogger),
        clock: systemClock,
        log: silentLogger,
        broker: new FakeBroker(),
        metrics: new Registry(),
        ownership: cluster.ownership,
        clusterEvents: cluster.events,
      };
      const notify = await createNotify(ctx, directoryOf({}), {
        backoff: { baseMs: 100, maxMs: 400, maxAttempts: 10_000 },
        claimMs: 3000,
        sweepMs: 200,
      });
      await notify.start!();
      nodes.push({ name, db, cluster, notify });
    }
    const [a, b] = nodes as [Node, Node];
    await until('two nodes share the shards', () => {
      const held = nodes.map((n) => n.cluster.ownership.ownedShards().length);
      return held[0] === 8 && held[1] === 8;
    });

    // Channels until each node owns two (created through A; B reads them from the store).
    const owned = new Map<Node, Channel[]>([
      [a, []],
      [b, []],
    ]);
    for (let i = 0; owned.get(a)!.length < 2 || owned.get(b)!.length < 2; i++) {
      const view = await a.notify.service.createChannel({
        name: `hook ${i}`,
        type: 'webhook',
        url: sink.url,
        groupWindowMs: 0,
        timeoutMs: 1000,
      });
      const ch: Channel = { ...view, url: sink.url };
      const list = owned.get(a.cluster.ownership.owns(ch.id) ? a : b)!;
      if (list.length < 2) list.push(ch);
    }
    const channels = [...owned.get(a)!, ...owned.get(b)!];
    /** Accepted (2xx) deliveries per (channel path is shared) event id of the items carried. */
    const accepted = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (const r of sink.received.filter((x) => x.status === 200))
        for (const it of (JSON.parse(r.raw) as { items: NotifyItem[] }).items)
          m.set(it.eventId, (m.get(it.eventId) ?? 0) + 1);
      return m;
    };
    const acceptedIds = (): string[] =>
      sink.received.filter((x) => x.status === 200).map((r) => String(r.headers['x-tsunagu-event-id']));

    // 1. Queued on both nodes: each delivered once, by the channel's owner.
    const first: string[] = [];
    for (let i = 0; i < 24; i++) {
      const ch = channels[i % channels.length]!;
      const id = `one-${i}-${ch.id.slice(0, 8)}`;
      first.push(id);
      await nodes[i % 2]!.notify.outbox.enqueue(ch, item(id));
    }
    await until('all of batch 1 delivered', () => first.every((id) => accepted().has(id)));

    // 2. A storm on one channel with a window, queued on both nodes: one at once, the rest as one group.
    const storm = await a.notify.service.createChannel({
      name: 'storm',
      type: 'webhook',
      url: sink.url,
      groupWindowMs: 1500,
      timeoutMs: 1000,
    });
    const stormIds = Array.from({ length: 10 }, (_, i) => `storm-${i}`);
    for (const [i, id] of stormIds.entries())
      await nodes[i % 2]!.notify.outbox.enqueue({ ...storm, url: sink.url }, item(id, 'storm'));
    await until('the storm delivered', () => stormIds.every((id) => accepted().has(id)));
    const stormBodies = sink.received
      .filter((r) => r.status === 200)
      .map((r) => JSON.parse(r.raw) as { items: NotifyItem[] })
      .filter((body) => body.items.some((x) => x.eventId.startsWith('storm-')));
    assert.deepEqual(
      stormBodies.map((body) => body.items.length),
      [1, 9],
      'one window for the channel, whichever node queued',
    );

    // 3. The endpoint is down; every notification of batch 2 has been tried by its owner; B dies.
    down = true;
    const second: string[] = [];
    for (let i = 0; i < 24; i++) {
      const ch = channels[i % channels.length]!;
      const id = `two-${i}-${ch.id.slice(0, 8)}`;
      second.push(id);
      await nodes[i % 2]!.notify.outbox.enqueue(ch, item(id));
    }
    const tried = (): Set<string> =>
      new Set(
        sink.received
          .filter((r) => r.status === 503)
          .flatMap((r) => (JSON.parse(r.raw) as { items: NotifyItem[] }).items.map((x) => x.eventId)),
      );
    await until('every notification of batch 2 tried once', () => second.every((id) => tried().has(id)));
    // Each waiting notification is held (and retried) by its channel's owner only, whichever node queued it.
    await until('each node holds its own channels’ notifications', () => b.notify.outbox.queued === 12);
    assert.deepEqual([a.notify.outbox.queued, b.notify.outbox.queued], [12, 12]);
    const bChannel = owned.get(b)![0]!;
    await b.db.close(); // B's lease renewals and outbox writes fail from now on
    await until('B stops acting on its shards', () => !b.cluster.ownership.owns(bChannel.id));
    await until('A owns the dead node’s channels', () =>
      channels.every((c) => a.cluster.ownership.owns(c.id)),
    );
    down = false;
    await until('all of batch 2 delivered', () => second.every((id) => accepted().has(id)));
    await new Promise((r) => setTimeout(r, 1500)); // anything sent twice would arrive by now

    const counts = accepted();
    const all = [...first, ...stormIds, ...second];
    assert.deepEqual(
      all.filter((id) => counts.get(id) !== 1),
      [],
      'every item delivered exactly once',
    );
    assert.equal(counts.size, all.length, 'nothing else delivered');
    const ids = acceptedIds();
    assert.equal(new Set(ids).size, ids.length, 'no notification (X-Tsunagu-Event-Id) accepted twice');
  },
);
