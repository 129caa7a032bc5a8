/**
 * The restart rule (issue 20) on the engine with an injected clock: deadlines are judged only while
 * the listeners are open, never count the platform's downtime against a device, and hardware-error
 * windows survive a restart. "SIGTERM" is listenersClosing() + stop(); "kill -9" abandons the engine
 * (its clock never advances again, its database handle is closed under it).
 *
 * Last sign of life is presence's (the registry's): each run has the registry's real connectivity
 * writer and last-seen reader on the same SQLite file, its status batches every 5 s, and a heartbeat
 * reaches it as the `device.message` bus event telemetry emits.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { openSqlite, type SqliteDatabase } from '../store/database.js';
import { Connectivity } from '../registry/connectivity.js';
import { LastSeenBook } from '../registry/last-seen.js';
import { LocalPresence } from '../registry/presence.js';
import { openRegistryStore } from '../registry/registry-store.js';
import { buildEngine, MemoryDirectory, record, type EngineHarness } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
// The model from the issue: a heartbeat every 2 s against a 4 s interval + 2 s grace.
const HB = { intervalMs: 4000, graceMs: 2000, signOfLife: 'heartbeat' as const };
const DUE = HB.intervalMs + HB.graceMs;

function fleet(): MemoryDirectory {
  const dir = new MemoryDirectory();
  dir.addModel({ name: 'scooter', heartbeat: HB });
  dir.addDevice('s1', 'scooter');
  dir.addDevice('s2', 'scooter');
  return dir;
}

interface Run {
  h: EngineHarness;
  db: SqliteDatabase;
  clock: ManualClock;
  connectivity: Connectivity;
}

function platform(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'health-restart-'));
  const path = join(dir, 'h.db');
  const runs: Run[] = [];
  t.after(async () => {
    for (const r of runs) await r.h.engine.stop().catch(() => undefined);
    for (const r of runs) await r.connectivity.stop().catch(() => undefined);
    for (const r of runs) await r.db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const directory = fleet();
  return {
    directory,
    async start(at: number, opts: { listening?: boolean } = {}): Promise<Run> {
      const clock = new ManualClock(at);
      const db = openSqlite(path);
      const registry = await openRegistryStore(db);
      await registry.putDevices(
        [...directory.devices.values()].map((d) => ({ ...d, createdAt: T0, updatedAt: T0 })),
      );
      const presence = new LocalPresence('n1');
      const lastSeen = new LastSeenBook(registry, presence);
      const h = await buildEngine(db, clock, directory, { ...opts, lastSeen });
      const connectivity = new Connectivity(
        registry,
        presence,
        h.bus,
        clock,
        silentLogger,
        { flapping: { connects: 1000, windowMs: 1000 }, flushMs: 5000, maxBatch: 100_000 },
        () => undefined,
      );
      connectivity.start();
      const run = { h, db, clock, connectivity };
      runs.push(run);
      return run;
    },
    /** SIGTERM: the listeners begin to close, then modules stop. */
    async sigterm(r: Run): Promise<void> {
      await r.h.engine.listenersClosing();
      await r.h.engine.stop();
      await r.connectivity.stop();
      await r.db.close();
    },
    /** kill -9: nothing more is written; the engine's clock never moves again. */
    async kill9(r: Run): Promise<void> {
      await r.db.close();
    },
  };
}

/** Devices heartbeating every 2 s from `from` to `to` (inclusive); store writes run in between. */
async function beat(r: Run, ids: string | string[], from: number, to: number): Promise<void> {
  for (let at = from; at <= to; at += 2000) {
    r.clock.set(at);
    for (const id of [ids].flat()) {
      r.h.bus.emit('device.message', {
        deviceId: id,
        at,
        topic: `devices/${id}/heartbeat`,
        kind: 'heartbeat',
        decoded: true,
      });
      r.h.engine.signOfLife(id, at, 'heartbeat');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('issue 20: SIGTERM, 3 s down, a slow start-up: the heartbeating device is never taken out', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  await beat(a, 's1', T0, T0 + 20_000);
  a.clock.set(T0 + 21_500);
  await p.sigterm(a); // last heartbeat 1.5 s before the signal: its deadline is T0 + 26 s

  const b = await p.start(T0 + 24_500, { listening: false }); // 3 s down, then start-up work
  const changes = record(b.h.bus, 'service-state.changed');
  const missed = record(b.h.bus, 'heartbeat.checked');
  b.clock.set(T0 + 27_000); // past the old deadline, listeners still closed: nothing is judged
  assert.equal(b.h.engine.devices.get('s1')!.state, 'in_service');
  await b.h.engine.listenersOpen();
  const openAt = b.clock.now();
  assert.equal(
    b.h.engine.devices.get('s1')!.checkAt,
    openAt + DUE,
    'deadline = listeners open + interval + grace',
  );
  b.clock.set(openAt + 1000); // mqtt.js reconnects (reconnectPeriod 1000) and heartbeats again
  await beat(b, 's1', openAt + 1000, openAt + 20_000);
  assert.equal(b.h.engine.devices.get('s1')!.state, 'in_service');
  assert.deepEqual(
    changes.filter((c) => c.deviceId === 's1'),
    [],
  );
  assert.deepEqual(
    missed.filter((c) => c.deviceId === 's1' && !c.received),
    [],
  );
  assert.deepEqual(await b.h.store.listDowntimes(10), [{ from: T0 + 21_500, to: openAt, clean: true }]);
});

test('a device silent across a restart goes out at listeners-open + interval + grace, never inside the downtime', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  await beat(a, ['s1', 's2'], T0, T0 + 10_000);
  await p.sigterm(a);

  const b = await p.start(T0 + 10 * 60_000, { listening: false }); // ten minutes down
  const changes = record(b.h.bus, 'service-state.changed');
  const checked = record(b.h.bus, 'heartbeat.checked');
  b.clock.advance(5000);
  await b.h.engine.listenersOpen();
  const openAt = b.clock.now();
  b.clock.advance(3000);
  b.h.engine.signOfLife('s2', b.clock.now(), 'heartbeat'); // s2 is back; s1 stays silent
  b.clock.set(openAt + DUE - 1);
  assert.equal(b.h.engine.devices.get('s1')!.state, 'in_service');
  b.clock.set(openAt + DUE + 250);
  const s1 = b.h.engine.devices.get('s1')!;
  assert.equal(s1.state, 'out_of_service');
  assert.equal(s1.since, openAt + DUE, 'out since the first deadline it could have met');
  assert.equal(s1.lastSeen, T0 + 10_000, 'last seen still says when it was last heard');
  assert.equal(b.h.engine.devices.get('s2')!.state, 'in_service');
  assert.deepEqual(
    changes.map((c) => [c.deviceId, c.at]),
    [['s1', openAt + DUE]],
  );
  b.clock.advance(3 * HB.intervalMs);
  const bad = checked.filter((c) => !c.received);
  assert.ok(bad.length >= 3);
  for (const c of bad)
    assert.ok(c.at >= openAt + DUE, `no missed heartbeat counted in the downtime (${c.at})`);
});

test('kill -9: deadlines that passed after the last flush are not held against the device; the downtime is recorded as unclean', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  // Presence's status batch goes 5 s after the first change it holds (T0 + 5, 11, 17, 23 s, each
  // written when the clock reaches the next heartbeat); the last, at T0 + 24 s, ran just before
  // that heartbeat. `alive_at` is health's own 5 s timer (T0 + 20 s).
  await beat(a, 's1', T0, T0 + 24_000);
  await p.kill9(a); // crashed at T0 + 24 s; presence's row says s1 was last seen at T0 + 22 s

  const b = await p.start(T0 + 30_000, { listening: false });
  const changes = record(b.h.bus, 'service-state.changed');
  await b.h.engine.listenersOpen();
  const openAt = b.clock.now();
  assert.equal(b.h.engine.devices.get('s1')!.lastSeen, T0 + 22_000, 'the last stored, not the last heard');
  await beat(b, 's1', openAt + 2000, openAt + 12_000);
  assert.deepEqual(changes, []);
  assert.deepEqual(await b.h.store.listDowntimes(10), [{ from: T0 + 20_000, to: openAt, clean: false }]);
});

test('shutdown: once the listeners begin to close no deadline is judged', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  const changes = record(a.h.bus, 'service-state.changed');
  await beat(a, 's1', T0, T0 + 4000);
  a.clock.set(T0 + 5000);
  await a.h.engine.listenersClosing(); // the broker then drains for a long time
  a.clock.set(T0 + 60_000);
  assert.deepEqual(changes, []);
  await a.h.engine.stop();
  await a.db.close();
  const b = await p.start(T0 + 70_000);
  assert.deepEqual((await b.h.store.listDowntimes(1))[0], { from: T0 + 5000, to: T0 + 70_000, clean: true });
});

test('hardware-error windows survive a restart; a crossing clears the persisted window', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  await a.h.api.putPolicy({
    model: 'scooter',
    errorThresholds: [
      { code: 'MOTOR', threshold: 3, windowMs: 600_000, severity: 'critical', action: 'out_of_service' },
    ],
  });
  a.h.engine.deviceEvent('s1', 'MOTOR', T0 + 1000);
  a.h.engine.deviceEvent('s1', 'MOTOR', T0 + 2000); // two errors: one short of the threshold
  a.h.engine.deviceEvent('s2', 'MOTOR', T0 + 1000);
  a.h.engine.deviceEvent('s2', 'MOTOR', T0 + 2000);
  a.h.engine.deviceEvent('s2', 'MOTOR', T0 + 3000); // crossed: s2 is out, its count starts again
  await p.sigterm(a);

  const b = await p.start(T0 + 60_000);
  const alerts = record(b.h.bus, 'health.alert');
  b.h.engine.deviceEvent('s1', 'MOTOR', T0 + 61_000);
  assert.deepEqual(b.h.engine.devices.get('s1')!.reasons, ['hardware_error:MOTOR']);
  b.h.engine.deviceEvent('s2', 'MOTOR', T0 + 61_000);
  assert.deepEqual(
    alerts.map((x) => x.deviceId),
    ['s1'],
  );
  await b.h.engine.flush();
  assert.deepEqual(
    (await b.h.store.loadErrorWindows()).map((w) => [w.deviceId, w.occurrences]),
    [['s2', [T0 + 61_000]]],
  );
});

test('a run that never opened its listeners does not count as alive: the downtime runs on', async (t) => {
  const p = platform(t);
  const a = await p.start(T0);
  await p.sigterm(a); // alive until T0
  const b = await p.start(T0 + 10_000, { listening: false }); // e.g. a port was taken
  b.clock.set(T0 + 12_000);
  await p.sigterm(b);
  const c = await p.start(T0 + 20_000);
  assert.deepEqual(await c.h.store.listDowntimes(10), [{ from: T0, to: T0 + 20_000, clean: true }]);
});
