/**
 * The alarm service and its feed on a real SQLite store, fed the bus events health and SLOs emit:
 * a service-out raises, a repeat updates, a return to service clears as `system`; an SLO tier
 * firing raises and resolving clears; ack and clear follow ThingsBoard's states with 409 on an
 * illegal step and 404 on an unknown id.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, ManualClock, silentLogger, type TsunaguEvents } from '../core/index.js';
import { openSqlite } from '../store/index.js';
import { AlarmFeed, OUT_OF_SERVICE } from './feed.js';
import { openAlarmsStore } from './open-alarms-store.js';
import { AlarmsService } from './service.js';

const T0 = Date.UTC(2026, 0, 1);
const HEALTH = { kind: 'system' as const, id: 'health' };

async function setup(t: TestContext) {
  const db = openSqlite(':memory:');
  const clock = new ManualClock(T0);
  const bus = new EventBus(silentLogger);
  const alarms = new AlarmsService(await openAlarmsStore(db), clock, silentLogger);
  const feed = new AlarmFeed(alarms, silentLogger);
  feed.listen(bus);
  t.after(async () => {
    await feed.stop();
    await db.close();
  });
  return { clock, bus, alarms, feed };
}

const state = (
  over: Partial<TsunaguEvents['service-state.changed']>,
): TsunaguEvents['service-state.changed'] => ({
  deviceId: 'scooter-1',
  model: 'scooter',
  from: 'in_service',
  to: 'out_of_service',
  reasons: ['heartbeat_missed'],
  at: T0,
  actor: HEALTH,
  ...over,
});

test('a service-out raises an alarm, a further reason updates it, a return to service clears it as system', async (t) => {
  const { bus, alarms, feed } = await setup(t);
  bus.emit('service-state.changed', state({}));
  await feed.idle();
  let [a] = await alarms.list({ limit: 10 });
  assert.equal(a?.source, 'health');
  assert.equal(a?.deviceId, 'scooter-1');
  assert.equal(a?.type, OUT_OF_SERVICE);
  assert.equal(a?.state, 'ACTIVE_UNACK');
  assert.equal(a?.severity, 'error');
  assert.match(a?.message ?? '', /heartbeat_missed/);

  // Still out, one more reason (health emits from = to): the same alarm, counted, now critical.
  bus.emit(
    'service-state.changed',
    state({ from: 'out_of_service', reasons: ['heartbeat_missed', 'hardware_error:E42'], at: T0 + 5000 }),
  );
  await feed.idle();
  const all = await alarms.list({ limit: 10 });
  assert.equal(all.length, 1);
  assert.equal(all[0]?.count, 2);
  assert.equal(all[0]?.lastSeen, T0 + 5000);
  assert.equal(all[0]?.severity, 'critical');

  bus.emit(
    'service-state.changed',
    state({ from: 'out_of_service', to: 'in_service', reasons: [], at: T0 + 9000 }),
  );
  await feed.idle();
  [a] = await alarms.list({ limit: 10 });
  assert.equal(a?.state, 'CLEARED_UNACK');
  assert.equal(a?.clearedBy, 'system');
  assert.equal(a?.ackBy, null);

  // Out again: a new alarm; an operator who puts it back in service is named as the one who cleared it.
  bus.emit('service-state.changed', state({ at: T0 + 20_000 }));
  bus.emit(
    'service-state.changed',
    state({
      from: 'out_of_service',
      to: 'in_service',
      reasons: [],
      at: T0 + 21_000,
      actor: { kind: 'user', id: 'u1', name: 'ops@example.com' },
    }),
  );
  await feed.idle();
  const [second, first] = await alarms.list({ limit: 10 });
  assert.notEqual(second?.id, first?.id);
  assert.equal(second?.clearedBy, 'ops@example.com');
  assert.equal(second?.state, 'CLEARED_UNACK');
});

test('an SLO alert tier firing raises an alarm and resolving clears it as system', async (t) => {
  const { bus, alarms, feed } = await setup(t);
  const alert = (s: 'firing' | 'resolved', at: number): TsunaguEvents['slo.alert'] => ({
    sloId: 'unlock-success',
    sloName: 'Unlock success',
    tier: 'fast',
    severity: 'page',
    state: s,
    burnRate: 14.4,
    at,
  });
  bus.emit('slo.alert', alert('firing', T0));
  bus.emit('slo.alert', { ...alert('firing', T0 + 1000), tier: 'slow', severity: 'ticket', burnRate: 3 });
  await feed.idle();
  const raised = await alarms.list({ limit: 10, source: 'slo' });
  assert.deepEqual(raised.map((a) => [a.type, a.severity, a.sloId, a.deviceId]).sort(), [
    ['burn_rate:fast', 'critical', 'unlock-success', null],
    ['burn_rate:slow', 'warning', 'unlock-success', null],
  ]);
  bus.emit('slo.alert', alert('resolved', T0 + 60_000));
  await feed.idle();
  const byType = new Map((await alarms.list({ limit: 10 })).map((a) => [a.type, a]));
  assert.equal(byType.get('burn_rate:fast')?.state, 'CLEARED_UNACK');
  assert.equal(byType.get('burn_rate:fast')?.clearedBy, 'system');
  assert.equal(byType.get('burn_rate:slow')?.state, 'ACTIVE_UNACK', 'the other tier is still firing');
});

test('ack and clear: ThingsBoard states, who and when, 409 on an illegal step, 404 on an unknown id', async (t) => {
  const { clock, alarms } = await setup(t);
  const a = await alarms.raise({
    source: 'rule',
    originator: 'boiler-7',
    deviceId: 'boiler-7',
    ruleId: 'overheat',
    severity: 'critical',
    type: 'overheat',
    message: 'boiler-7 at 96 °C',
  });
  clock.advance(1000);
  const acked = await alarms.ack(a.id, 'ops@example.com');
  assert.equal(acked.state, 'ACTIVE_ACK');
  assert.equal(acked.ackBy, 'ops@example.com');
  assert.equal(acked.ackAt, T0 + 1000);
  await assert.rejects(alarms.ack(a.id, 'other'), (e: { code?: string; statusCode?: number }) => {
    assert.equal(e.code, 'ALARM_ILLEGAL_TRANSITION');
    assert.equal(e.statusCode, 409);
    return true;
  });
  clock.advance(1000);
  const cleared = await alarms.clear(a.id, 'ops@example.com');
  assert.equal(cleared.state, 'CLEARED_ACK');
  assert.equal(cleared.clearedAt, T0 + 2000);
  await assert.rejects(alarms.clear(a.id, 'ops'), { code: 'ALARM_ILLEGAL_TRANSITION' });
  await assert.rejects(alarms.ack(a.id, 'ops'), { code: 'ALARM_ILLEGAL_TRANSITION' });
  await assert.rejects(alarms.ack(12345, 'ops'), { code: 'ALARM_NOT_FOUND' });
  await assert.rejects(alarms.clear(12345, 'ops'), { code: 'ALARM_NOT_FOUND' });
  // A condition clearing an alarm someone already cleared by hand does nothing.
  assert.equal(await alarms.clearCondition('rule', 'boiler-7', 'overheat'), undefined);
});
