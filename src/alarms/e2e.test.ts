/**
 * End to end on the real platform with real mqtt.js devices: a device that goes silent is taken
 * out of service and an alarm is raised; it speaks again and the alarm is cleared by `system`.
 * A rule's `alarm` action raises an alarm from a real publish (a repeat counts, no second alarm),
 * and a recovery rule clears it. Real clock (2 s heartbeat); waits for outcomes, no durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { api, connect, registerDevice, type Body } from '../test-support/platform-api.js';
import { startTestPlatform } from '../test-support/platform.js';
import { until } from '../test-support/until.js';

test('a silent device raises a service-out alarm; back in service clears it as system', async (t) => {
  const p = await startTestPlatform();
  const clients: MqttClient[] = [];
  let beat: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(beat);
    for (const c of clients) await c.endAsync(true);
    await p.close();
  });
  const m = await api(p, 'POST', '/device-models', {
    name: 'alarm-scooter',
    heartbeat: { intervalMs: 2000, graceMs: 1000, signOfLife: 'heartbeat' },
  });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  const secret = await registerDevice(p, 'scooter-a1', 'alarm-scooter');
  const c = await connect(p.mqttUrl, 'scooter-a1', { username: 'scooter-a1', password: secret });
  clients.push(c);
  const heartbeat = (): void =>
    void c.publishAsync('devices/scooter-a1/heartbeat', '{}', { qos: 1 }).catch(() => undefined);
  heartbeat();
  beat = setInterval(heartbeat, 250);
  const alarms = async (q = ''): Promise<Body[]> =>
    (await api(p, 'GET', `/alarms?deviceId=scooter-a1${q}`)).body.items as Body[];
  await until('the first heartbeat', async () => {
    const s = await api(p, 'GET', '/devices/scooter-a1/service-state');
    return s.body.lastSeen !== null;
  });
  assert.deepEqual(await alarms(), []);

  clearInterval(beat); // silent
  await until('a service-out alarm', async () => (await alarms('&state=ACTIVE')).length === 1);
  const [raised] = await alarms();
  assert.equal(raised?.source, 'health');
  assert.equal(raised?.type, 'out_of_service');
  assert.match(String(raised?.message), /heartbeat_lost/);
  const metrics = (await p.app.http.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /# TYPE tsunagu_alarms_active gauge/);
  assert.match(metrics, /tsunagu_alarms_active\{source="health",severity="error"\} 1/);

  beat = setInterval(heartbeat, 250); // back
  heartbeat();
  await until('the alarm to clear', async () => (await alarms('&state=CLEARED'))[0]?.id === raised?.id);
  const [cleared] = await alarms();
  assert.equal(cleared?.state, 'CLEARED_UNACK');
  assert.equal(cleared?.clearedBy, 'system');
  const after = (await p.app.http.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(after, /tsunagu_alarms_active\{source="health",severity="error"\} 0/);
});

test("a rule's alarm action raises an alarm from a publish, a repeat counts, a recovery rule clears it", async (t) => {
  const p = await startTestPlatform();
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.endAsync(true);
    await p.close();
  });
  const secret = await registerDevice(p, 'boiler-7');
  const hot = await api(p, 'POST', '/rules', {
    name: 'overheat',
    sql: "SELECT temp FROM 'devices/+/temp' WHERE temp > 90",
    enabled: true,
    actions: [
      {
        type: 'alarm',
        name: 'overheat',
        severity: 'critical',
        device: '${clientid()}',
        message: '${clientid()} at ${temp} °C',
      },
    ],
  });
  assert.equal(hot.status, 201, JSON.stringify(hot.body));
  const cool = await api(p, 'POST', '/rules', {
    name: 'cooled',
    sql: "SELECT temp FROM 'devices/+/temp' WHERE temp < 70",
    enabled: true,
    actions: [{ type: 'alarm', name: 'overheat', device: '${clientid()}', clear: true }],
  });
  assert.equal(cool.status, 201, JSON.stringify(cool.body));
  const bad = await api(p, 'POST', '/rules', {
    name: 'bad_alarm',
    sql: "SELECT * FROM 'x'",
    enabled: true,
    actions: [{ type: 'alarm', name: 'has space', severity: 'loud' }],
  });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.body), /actions\[0\]\.(name|severity)/);

  const c = await connect(p.mqttUrl, 'boiler-7', { username: 'boiler-7', password: secret });
  clients.push(c);
  const rule = async (): Promise<Body[]> => (await api(p, 'GET', '/alarms?source=rule')).body.items as Body[];
  await c.publishAsync('devices/boiler-7/temp', JSON.stringify({ temp: 96 }), { qos: 1 });
  await until('the rule alarm', async () => (await rule()).length === 1);
  await c.publishAsync('devices/boiler-7/temp', JSON.stringify({ temp: 97 }), { qos: 1 });
  await until('the repeat to count', async () => (await rule())[0]?.count === 2);
  const [a] = await rule();
  assert.equal(a?.deviceId, 'boiler-7');
  assert.equal(a?.ruleId, 'overheat');
  assert.equal(a?.severity, 'critical');
  assert.equal(a?.message, 'boiler-7 at 97 °C');
  assert.equal((await rule()).length, 1, 'a repeat updates the active alarm');

  await c.publishAsync('devices/boiler-7/temp', JSON.stringify({ temp: 60 }), { qos: 1 });
  await until('the recovery rule to clear it', async () => (await rule())[0]?.state === 'CLEARED_UNACK');
  assert.equal((await rule())[0]?.clearedBy, 'rule:cooled');
});
