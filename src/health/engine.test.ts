import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/clock.js';
import type { TestContext } from 'node:test';
import { openSqlite } from '../store/database.js';
import { buildEngine, MemoryDirectory, record } from './test-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
const HB = { intervalMs: 60_000, graceMs: 30_000, signOfLife: 'heartbeat' as const };
const OP = { kind: 'token' as const, id: 'ops-1' };

function fleet(): MemoryDirectory {
  const dir = new MemoryDirectory();
  dir.addModel({ name: 'scooter', heartbeat: HB });
  dir.addModel({ name: 'boiler', heartbeat: { ...HB, signOfLife: 'any_message' } });
  dir.addDevice('s1', 'scooter', ['berlin']);
  dir.addDevice('s2', 'scooter', ['paris']);
  dir.addDevice('b1', 'boiler');
  return dir;
}

function tempDb(t: TestContext): { path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'health-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { path: join(dir, 'h.db') };
}

test('a missed deadline takes the device out (timestamped at the deadline) and a heartbeat brings it back', async (t) => {
  const clock = new ManualClock(T0);
  const db = openSqlite(tempDb(t).path);
  const h = await buildEngine(db, clock, fleet());
  t.after(async () => {
    await h.engine.stop();
    await db.close();
  });
  const changes = record(h.bus, 'service-state.changed');
  const checked = record(h.bus, 'heartbeat.checked');
  h.engine.signOfLife('s1', T0 + 123, 'heartbeat');
  const deadline = T0 + 123 + 90_000;
  clock.set(deadline - 1);
  assert.equal(h.engine.devices.get('s1')!.state, 'in_service');
  // A telemetry message is not a heartbeat for a `heartbeat` model.
  h.engine.signOfLife('s1', clock.now(), 'message');
  clock.set(deadline + 999); // exact to within one second
  const s1 = h.engine.devices.get('s1')!;
  assert.equal(s1.state, 'out_of_service');
  assert.deepEqual(s1.reasons, ['heartbeat_lost']);
  assert.equal(s1.since, deadline);
  const out = changes.find((c) => c.deviceId === 's1')!;
  assert.equal(out.to, 'out_of_service');
  assert.equal(out.at, deadline);
  assert.deepEqual(out.actor, { kind: 'system', id: 'health' });
  assert.ok(checked.some((c) => c.deviceId === 's1' && !c.received && c.model === 'scooter'));
  const retained = h.published.filter((p) => p.deviceId === 's1');
  assert.equal(retained.at(-1)!.payload.state, 'out_of_service');

  // Every further silent interval is counted once more for the SLO engine.
  const missedBefore = checked.filter((c) => c.deviceId === 's1' && !c.received).length;
  clock.advance(60_000);
  assert.equal(checked.filter((c) => c.deviceId === 's1' && !c.received).length, missedBefore + 1);

  h.engine.signOfLife('s1', clock.now(), 'heartbeat');
  assert.equal(s1.state, 'in_service');
  assert.ok(checked.some((c) => c.deviceId === 's1' && c.received));
  const view = await h.api.getServiceState('s1');
  assert.equal(view.state, 'in_service');
  assert.deepEqual(
    view.history.map((x) => [x.from, x.to]),
    [
      ['out_of_service', 'in_service'],
      ['in_service', 'out_of_service'],
    ],
  );
  assert.match(view.history[0]!.note ?? '', /sign of life/);
  assert.equal(h.published.filter((p) => p.deviceId === 's1').at(-1)!.payload.state, 'in_service');
});

test('any_message models count telemetry as a sign of life; heartbeat models do not', async (t) => {
  const clock = new ManualClock(T0);
  const db = openSqlite(':memory:');
  const h = await buildEngine(db, clock, fleet());
  t.after(async () => {
    await h.engine.stop();
    await db.close();
  });
  for (let i = 1; i <= 4; i++) {
    clock.advance(30_000);
    h.engine.signOfLife('b1', clock.now(), 'message');
    h.engine.signOfLife('s1', clock.now(), 'message');
  }
  assert.equal(h.engine.devices.get('b1')!.state, 'in_service');
  assert.equal(h.engine.devices.get('s1')!.state, 'out_of_service');
});

test('restart keeps service state: a device out for heartbeat_lost stays out and returns on a heartbeat', async (t) => {
  const clock = new ManualClock(T0);
  const path = tempDb(t).path;
  const dir = fleet();
  let db = openSqlite(path);
  let h = await buildEngine(db, clock, dir);
  clock.advance(100_000);
  assert.equal(h.engine.devices.get('s1')!.state, 'out_of_service'); // never seen: counted from tracking
  await h.engine.stop();
  await db.close();
  db = openSqlite(path);
  h = await buildEngine(db, clock, dir);
  t.after(async () => {
    await h.engine.stop();
    await db.close();
  });
  const s1 = h.engine.devices.get('s1')!;
  assert.equal(s1.state, 'out_of_service');
  assert.deepEqual(s1.reasons, ['heartbeat_lost']);
  h.engine.signOfLife('s1', clock.now(), 'heartbeat');
  assert.equal(s1.state, 'in_service');
});

async function withThresholds(t: TestContext) {
  const clock = new ManualClock(T0);
  const db = openSqlite(':memory:');
  const h = await buildEngine(db, clock, fleet());
  t.after(async () => {
    await h.engine.stop();
    await db.close();
  });
  await h.api.putPolicy({
    model: 'scooter',
    errorThresholds: [
      { code: 'MOTOR', threshold: 3, windowMs: 10_000, severity: 'critical', action: 'out_of_service' },
      { code: 'TEMP', threshold: 2, windowMs: 10_000, severity: 'warning', action: 'alert_only' },
    ],
  });
  return { clock, h, alerts: record(h.bus, 'health.alert') };
}

test('thresholds: N-1 errors do nothing, N take the device out, N+1 does not alert again', async (t) => {
  const { h, alerts } = await withThresholds(t);
  const s1 = h.engine.devices.get('s1')!;
  h.engine.deviceEvent('s1', 'MOTOR', T0 + 1000);
  h.engine.deviceEvent('s1', 'MOTOR', T0 + 2000);
  assert.equal(s1.state, 'in_service');
  assert.equal(alerts.length, 0);
  h.engine.deviceEvent('s1', 'MOTOR', T0 + 3000);
  assert.equal(s1.state, 'out_of_service');
  assert.deepEqual(s1.reasons, ['hardware_error:MOTOR']);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.severity, 'critical');
  assert.equal(alerts[0]!.action, 'out_of_service');
  h.engine.deviceEvent('s1', 'MOTOR', T0 + 4000);
  assert.equal(alerts.length, 1);
  // Other codes and other devices are counted apart.
  h.engine.deviceEvent('s2', 'OTHER', T0 + 4000);
  h.engine.deviceEvent('s2', 'MOTOR', T0 + 4000);
  assert.equal(h.engine.devices.get('s2')!.state, 'in_service');
});

test('thresholds at the window edge: an error exactly W old no longer counts', async (t) => {
  const { h } = await withThresholds(t);
  for (const at of [0, 5000, 10_000]) h.engine.deviceEvent('s1', 'MOTOR', T0 + at);
  assert.equal(h.engine.devices.get('s1')!.state, 'in_service');
  for (const at of [0, 5000, 9999]) h.engine.deviceEvent('s2', 'MOTOR', T0 + at);
  assert.equal(h.engine.devices.get('s2')!.state, 'out_of_service');
});

test('alert_only codes alert without taking the device out', async (t) => {
  const { h, alerts } = await withThresholds(t);
  h.engine.deviceEvent('s1', 'TEMP', T0 + 1);
  h.engine.deviceEvent('s1', 'TEMP', T0 + 2);
  assert.equal(h.engine.devices.get('s1')!.state, 'in_service');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.action, 'alert_only');
  assert.equal(alerts[0]!.severity, 'warning');
});

test('hardware errors never clear by themselves: only a person with a note', async (t) => {
  const { clock, h } = await withThresholds(t);
  for (let i = 0; i < 3; i++) h.engine.deviceEvent('s1', 'MOTOR', T0 + i);
  h.engine.signOfLife('s1', clock.now(), 'heartbeat');
  assert.equal(h.engine.devices.get('s1')!.state, 'out_of_service');
  clock.advance(1000);
  await assert.rejects(
    h.api.setServiceState('s1', { state: 'in_service', note: '   ' }, OP),
    (e: { code: string }) => e.code === 'HEALTH_NOTE_REQUIRED',
  );
  assert.equal(h.engine.devices.get('s1')!.state, 'out_of_service');
  const view = await h.api.setServiceState(
    's1',
    { state: 'in_service', note: 'motor replaced, test ride ok' },
    OP,
  );
  assert.equal(view.state, 'in_service');
  assert.deepEqual(view.history[0]!.actor, OP);
  assert.equal(view.history[0]!.note, 'motor replaced, test ride ok');
  assert.deepEqual(view.history[0]!.reasons, []);
});

test('a manual reason and a hardware reason: clearing one keeps the device out for the other', async (t) => {
  const { h } = await withThresholds(t);
  for (let i = 0; i < 3; i++) h.engine.deviceEvent('s1', 'MOTOR', T0 + i);
  await h.api.setServiceState(
    's1',
    { state: 'out_of_service', note: 'brakes squeak', reason: 'manual:brakes' },
    OP,
  );
  const v = await h.api.setServiceState(
    's1',
    { state: 'in_service', note: 'motor ok', reason: 'hardware_error:MOTOR' },
    OP,
  );
  assert.equal(v.state, 'out_of_service');
  assert.deepEqual(v.reasons, ['manual:brakes']);
  await assert.rejects(
    h.api.setServiceState('s1', { state: 'out_of_service', note: 'x', reason: 'hardware_error:FAKE' }, OP),
    (e: { code: string }) => e.code === 'HEALTH_INVALID_REASON',
  );
});

test('maintenance silences: no deadlines, no thresholds, no heartbeat.checked; leaving it gives a fresh deadline', async (t) => {
  const { clock, h, alerts } = await withThresholds(t);
  const changes = record(h.bus, 'service-state.changed');
  const checked = record(h.bus, 'heartbeat.checked');
  await h.api.setServiceState('s1', { state: 'maintenance', note: 'in the workshop' }, OP);
  clock.advance(10 * 60_000);
  for (let i = 0; i < 5; i++) h.engine.deviceEvent('s1', 'MOTOR', clock.now() + i);
  h.engine.flapping('s1', clock.now(), 20, 60_000);
  const s1 = h.engine.devices.get('s1')!;
  assert.equal(s1.state, 'maintenance');
  assert.equal(alerts.length, 0);
  assert.equal(changes.filter((c) => c.deviceId === 's1').length, 1);
  assert.equal(checked.filter((c) => c.deviceId === 's1').length, 0);
  await h.api.setServiceState('s1', { state: 'in_service', note: 'back on the street' }, OP);
  assert.equal(s1.state, 'in_service');
  clock.advance(HB.intervalMs + HB.graceMs - 1000);
  assert.equal(s1.state, 'in_service');
  clock.advance(2000);
  assert.equal(s1.state, 'out_of_service');
});

test('flapping beyond the model threshold becomes a health.alert', async (t) => {
  const { h, alerts } = await withThresholds(t);
  await h.api.putPolicy({ model: 'scooter', errorThresholds: [], flappingMinConnects: 10 });
  h.engine.flapping('s1', T0, 5, 60_000);
  assert.equal(alerts.length, 0);
  h.engine.flapping('s1', T0, 12, 60_000);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.kind, 'flapping');
  assert.equal(alerts[0]!.count, 12);
});

test('fleet health and the out-of-service list', async (t) => {
  const { clock, h } = await withThresholds(t);
  h.engine.signOfLife('s2', T0 + 80_000, 'heartbeat');
  clock.set(T0 + 100_000); // s1 and b1 never spoke: out
  const f = h.api.fleetHealth();
  assert.equal(f.total, 3);
  assert.equal(f.byState.out_of_service, 2);
  assert.equal(f.byReason.heartbeat_lost, 2);
  assert.equal(f.byModel.scooter!.in_service, 1);
  assert.equal(f.byTag.paris!.in_service, 1);
  assert.equal(f.byTag.berlin!.out_of_service, 1);
  assert.ok(Math.abs(f.inServiceShare - 1 / 3) < 1e-9);
  const page1 = h.api.outOfService({ offset: 0, limit: 1 });
  const page2 = h.api.outOfService({ offset: 1, limit: 1 });
  assert.equal(page1.total, 2);
  assert.deepEqual([page1.items[0]!.deviceId, page2.items[0]!.deviceId].sort(), ['b1', 's1']);
  assert.equal(h.api.outOfService({ offset: 0, limit: 10, model: 'boiler' }).items[0]!.deviceId, 'b1');
});
