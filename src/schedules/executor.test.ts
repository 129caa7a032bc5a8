// The executor with in-process fakes (shadows, directory, ownership) on a real SQLite store and a
// manual clock: ownership decides which node writes, gaining shards applies only what is due now,
// and two executors racing on one store execute each slot once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventBus,
  ManualClock,
  silentLogger,
  type DeviceDirectory,
  type DeviceInfo,
  type Ownership,
  type OwnershipChange,
} from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { Executor, type ShadowWriter } from './executor.js';
import { SchedulesService } from './service.js';
import { createSqliteSchedulesStore } from './sqlite-schedules-store.js';
import type { SchedulesStore } from './schedules-store.js';

const START = Date.UTC(2026, 2, 2, 4, 59); // Monday 05:59 in Berlin
const devices: DeviceInfo[] = ['d0', 'd1', 'd2', 'd3'].map((id) => ({
  id,
  model: 'boiler',
  name: id,
  tags: ['plan'],
  enabled: true,
  attributes: {},
}));
const directory: DeviceDirectory = {
  getDevice: (id) => Promise.resolve(devices.find((d) => d.id === id)),
  getModel: () => Promise.resolve(undefined),
  async *listDevices(f) {
    for (const d of devices) if (!f?.tag || d.tags.includes(f.tag)) yield d;
  },
};

function ownership(owned: Set<string>): Ownership & { gain(ids: string[]): void } {
  const listeners = new Set<(c: OwnershipChange) => void>();
  return {
    nodeId: 'n',
    shardCount: 1,
    shardOf: () => 0,
    owns: (k) => owned.has(k),
    ownsShard: () => true,
    ownedShards: () => [0],
    onChange: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    members: () => [],
    gain(ids) {
      for (const id of ids) owned.add(id);
      for (const fn of listeners) fn({ gained: [0], lost: [] });
    },
  };
}

function node(store: SchedulesStore, clock: ManualClock, own: Ownership, writes: string[]) {
  const bus = new EventBus();
  const shadows: ShadowWriter = {
    update: (deviceId, _n, body) => {
      writes.push(`${deviceId} ${JSON.stringify((body as { state: { desired: unknown } }).state.desired)}`);
      return Promise.resolve({});
    },
    reported: () => Promise.resolve({}),
    updateMany: (items) =>
      Promise.all(
        items.map(async (u) => ({
          ok: true,
          value: await shadows.update(u.deviceId, u.name, u.body, u.actor),
        })),
      ),
    reportedMany: (keys) => Promise.all(keys.map((k) => shadows.reported(k.deviceId, k.name))),
  };
  const ref: { executor?: Executor } = {};
  const service = new SchedulesService({
    store,
    directory,
    bus,
    clock,
    changed: (id) => ref.executor?.refresh(id),
  });
  const executor = (ref.executor = new Executor({
    store,
    service,
    shadows,
    bus,
    clock,
    ownership: own,
    log: silentLogger,
    isOnline: () => true,
  }));
  return { executor, service, bus };
}

const plan = {
  name: 'p',
  timezone: 'Europe/Berlin',
  targets: { tags: ['plan'] },
  rules: [
    {
      name: 'all',
      when: {},
      slots: [
        { time: '06:00', patch: { mode: 'heat' } },
        { time: '22:00', patch: { mode: 'eco' } },
      ],
    },
  ],
  verify: { timeoutMs: 60_000, attempts: 2, backoffMs: 1000 },
};

describe('executor', () => {
  test('writes only owned devices; gaining shards applies what is due now, not the past', async () => {
    const db = openSqlite(':memory:');
    const store = await createSqliteSchedulesStore(db);
    const clock = new ManualClock(START);
    const own = ownership(new Set(['d0', 'd1']));
    const writes: string[] = [];
    const n = node(store, clock, own, writes);
    await n.executor.start();
    await n.service.create(plan, { kind: 'system', id: 't' });
    await n.executor.idle();
    assert.deepEqual(writes.sort(), ['d0 {"mode":"eco"}', 'd1 {"mode":"eco"}']);
    clock.advance(60_000); // 06:00
    await n.executor.idle();
    clock.advance(3 * 3_600_000); // 09:00: the other node died; this one gains d2, d3
    await n.executor.idle();
    writes.length = 0;
    own.gain(['d2', 'd3']);
    await n.executor.idle();
    assert.deepEqual(
      writes.sort(),
      ['d2 {"mode":"heat"}', 'd3 {"mode":"heat"}'],
      'only the 06:00 state, once',
    );
    await n.executor.stop();
    await db.close();
  });

  test('two nodes on one store execute each slot once; an unverified slot fails after its attempts', async () => {
    const db = openSqlite(':memory:');
    const store = await createSqliteSchedulesStore(db);
    const clock = new ManualClock(START);
    const writes: string[] = [];
    const all = () => ownership(new Set(devices.map((d) => d.id)));
    const a = node(store, clock, all(), writes);
    const b = node(store, clock, all(), writes);
    const failed: string[] = [];
    a.bus.on('schedule.execution', (e) => failed.push(`${e.deviceId} ${e.status}`));
    b.bus.on('schedule.execution', (e) => failed.push(`${e.deviceId} ${e.status}`));
    await a.executor.start();
    await b.executor.start();
    const s = await a.service.create(plan, { kind: 'system', id: 't' });
    b.executor.refresh(s.id);
    await Promise.all([a.executor.idle(), b.executor.idle()]);
    writes.length = 0;
    clock.advance(60_000); // 06:00 fires on both nodes
    await Promise.all([a.executor.idle(), b.executor.idle()]);
    assert.equal(writes.length, 4, 'one write per device at 06:00');
    for (let i = 0; i < 5; i++) {
      clock.advance(61_000);
      await Promise.all([a.executor.idle(), b.executor.idle()]);
    }
    const at6 = (await store.listExecutions({ limit: 100, offset: 0 })).items.filter(
      (e) => e.slotTime === '06:00',
    );
    assert.deepEqual(
      at6.map((e) => [e.status, e.attempts]),
      Array(4).fill(['failed', 2]),
    );
    assert.equal(writes.length, 8, 'one re-send each (attempts: 2)');
    assert.equal(
      failed.filter((f) => f.endsWith('failed')).length,
      4,
      'one FAILED event per device, not per node',
    );
    await a.executor.stop();
    await b.executor.stop();
    await db.close();
  });
});
