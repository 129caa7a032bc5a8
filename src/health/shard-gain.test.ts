/**
 * A node gains the shard of an owner that died (docs/health.md "Several nodes"), on the engine
 * with an injected clock and ownership, wired as in a cluster (health-cluster.ts):
 * - a sign of life another node forwarded to the owner is kept by this non-owner, so after the gain
 *   the deadline counts from it although the store never got it;
 * - a device whose last heartbeat only the dead owner heard (its presence batch died with it) gets
 *   one whole deadline from the gain: not taken out on the store's older record, and still taken
 *   out once, at gain + interval + grace, if it stays silent;
 * - a device the store already has out for a lost heartbeat gets no grace and no second out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import {
  EventBus,
  LocalClusterEvents,
  silentLogger,
  type DeviceLastSeen,
  type Ownership,
  type OwnershipChange,
} from '../core/index.js';
import { openSqlite } from '../store/database.js';
import { HealthEngine } from './engine.js';
import { forwardTo, wireHealthCluster } from './health-cluster.js';
import { createSqliteHealthStore } from './sqlite-health-store.js';
import { MemoryDirectory, record } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const HB = { intervalMs: 60_000, graceMs: 30_000, signOfLife: 'heartbeat' as const };
const DUE = HB.intervalMs + HB.graceMs;

/** One shard, held by another node until `gain()`; two live members (so outs are compare-and-set). */
class ManualOwnership implements Ownership {
  readonly nodeId = 'survivor';
  readonly shardCount = 1;
  private held = false;
  private readonly listeners = new Set<(c: OwnershipChange) => void>();
  shardOf(): number {
    return 0;
  }
  owns(): boolean {
    return this.held;
  }
  ownsShard(): boolean {
    return this.held;
  }
  ownedShards(): number[] {
    return this.held ? [0] : [];
  }
  onChange(l: (c: OwnershipChange) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  members(): { nodeId: string; shards: number }[] {
    return [
      { nodeId: this.nodeId, shards: this.held ? 1 : 0 },
      { nodeId: 'other', shards: this.held ? 0 : 1 },
    ];
  }
  gain(): void {
    this.held = true;
    for (const l of this.listeners) l({ gained: [0], lost: [] });
  }
}

const seen = (heartbeatAt: number): DeviceLastSeen => ({
  at: heartbeatAt,
  messageAt: heartbeatAt,
  messageKind: 'heartbeat',
  heartbeatAt,
});

test('a gained shard: forwarded signs of life kept, one deadline of grace, already-out devices untouched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'health-gain-'));
  const db = openSqlite(join(dir, 'h.db'));
  const clock = new ManualClock(T0);
  const directory = new MemoryDirectory();
  directory.addModel({ name: 'scooter', heartbeat: HB });
  for (const id of ['forwarded', 'dead-only', 'silent', 'was-out']) directory.addDevice(id, 'scooter');
  const store = await createSqliteHealthStore(db);
  // The store's view (presence's batches): the dead owner's last batch never made it.
  const stored = new Map([
    ['forwarded', seen(T0)],
    ['dead-only', seen(T0)],
    ['silent', seen(T0)],
    ['was-out', seen(T0 - 2 * DUE)],
  ]);
  await store.saveTransitions([
    {
      deviceId: 'was-out',
      at: T0 - DUE,
      since: T0 - DUE,
      from: 'in_service',
      to: 'out_of_service',
      reasons: ['heartbeat_lost'],
      actor: { kind: 'system', id: 'health' },
    },
  ]);
  const ownership = new ManualOwnership();
  const events = new LocalClusterEvents(silentLogger);
  const bus = new EventBus(silentLogger);
  const engine = new HealthEngine({
    clock,
    bus,
    log: silentLogger,
    store,
    directory,
    ownership,
    forward: forwardTo(events),
    lastSeen: { get: async (id) => stored.get(id), all: async () => new Map(stored) },
  });
  await engine.start();
  const unwire = wireHealthCluster(engine, store, events, silentLogger, bus);
  t.after(async () => {
    for (const u of unwire) u();
    await engine.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await engine.listenersOpen();
  const changes = record(bus, 'service-state.changed');
  const outs = (id: string): number[] =>
    changes.filter((c) => c.deviceId === id && c.to === 'out_of_service').map((c) => c.at);

  // A third node forwards `forwarded`'s heartbeat to the owner, which dies before the store has it;
  // `dead-only` and `silent` were heard last by the dead owner alone, at T0 + 20 s and T0.
  clock.set(T0 + 20_000);
  events.publish('health.sign_of_life', { deviceId: 'forwarded', at: T0 + 20_000, via: 'heartbeat' });
  assert.equal(engine.devices.get('forwarded')!.lastSeen, T0 + 20_000, 'a non-owner keeps the forward');
  assert.equal(engine.devices.get('forwarded')!.checkAt, Infinity, 'and holds no deadline');

  // Five seconds later this node gains the shard.
  const gainedAt = T0 + 25_000;
  clock.set(gainedAt);
  ownership.gain();
  await until(() => engine.devices.get('silent')!.checkAt !== Infinity);
  assert.equal(engine.devices.get('forwarded')!.checkAt, gainedAt + DUE);
  assert.equal(engine.devices.get('dead-only')!.checkAt, gainedAt + DUE);
  assert.equal(engine.devices.get('was-out')!.state, 'out_of_service');

  // The store's record alone would have had them out at T0 + DUE.
  clock.set(T0 + DUE + 1000);
  await settle();
  assert.deepEqual(outs('forwarded'), []);
  assert.deepEqual(outs('dead-only'), []);
  assert.deepEqual(outs('silent'), []);
  // Both heartbeating devices go on at their cadence: one interval after their last one.
  engine.signOfLife('forwarded', T0 + 80_000, 'heartbeat');
  engine.signOfLife('dead-only', T0 + 80_000, 'heartbeat');

  // The silent one goes out once, at gain + interval + grace; nothing else moves.
  clock.set(gainedAt + DUE + 1000);
  await settle();
  assert.deepEqual(outs('silent'), [gainedAt + DUE]);
  clock.set(gainedAt + 3 * DUE);
  await settle();
  assert.deepEqual(outs('silent'), [gainedAt + DUE], 'once');
  assert.deepEqual(outs('was-out'), [], 'already out: not taken out again');
  assert.deepEqual(
    changes.filter((c) => c.to !== 'out_of_service').map((c) => c.deviceId),
    [],
    'no device came back in (none was taken out falsely)',
  );
  assert.deepEqual(outs('forwarded'), [T0 + 80_000 + DUE], 'silent after T0 + 80 s: out at its deadline');
  assert.deepEqual(outs('dead-only'), [T0 + 80_000 + DUE]);
});

/** Let compare-and-set writes (SQLite, async) complete. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(ok(), 'timed out');
}

test('several members: a heartbeat that arrives while a service-out is being written keeps the device in', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'health-race-'));
  const db = openSqlite(join(dir, 'h.db'));
  const clock = new ManualClock(T0);
  const directory = new MemoryDirectory();
  directory.addModel({ name: 'scooter', heartbeat: HB });
  directory.addDevice('racer', 'scooter');
  const store = await createSqliteHealthStore(db);
  const ownership = new ManualOwnership();
  ownership.gain();
  const bus = new EventBus(silentLogger);
  const engine = new HealthEngine({ clock, bus, log: silentLogger, store, directory, ownership });
  await engine.start();
  t.after(async () => {
    await engine.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await engine.listenersOpen();
  const changes = record(bus, 'service-state.changed');
  engine.signOfLife('racer', T0, 'heartbeat');

  // The deadline fires; the compare-and-set is on its way when the late heartbeat arrives.
  clock.set(T0 + DUE + 250);
  const late = clock.now();
  engine.signOfLife('racer', late, 'heartbeat');
  await settle();
  assert.deepEqual(
    changes.map((c) => c.to),
    [],
    'heard before the write: no service-out',
  );
  assert.equal(engine.devices.get('racer')!.state, 'in_service');
  assert.equal(engine.devices.get('racer')!.checkAt, late + DUE);
  assert.deepEqual(await store.history('racer', 10), []);

  // Silent again; this time the heartbeat arrives while the store is writing the out: the device
  // was out for that moment (recorded), and is back at once rather than one interval later.
  let release = (): void => undefined;
  const held = new Promise<void>((r) => (release = r));
  const write = store.saveTransitionIf.bind(store);
  store.saveTransitionIf = async (change, seen) => {
    await held;
    return write(change, seen);
  };
  clock.set(late + DUE + 250);
  await settle();
  const later = clock.now();
  engine.signOfLife('racer', later, 'heartbeat');
  release();
  await settle();
  assert.deepEqual(
    changes.map((c) => [c.to, c.at]),
    [
      ['out_of_service', late + DUE],
      ['in_service', later],
    ],
  );
  assert.equal(engine.devices.get('racer')!.checkAt, later + DUE);
});
