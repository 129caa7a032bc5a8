// Platform actions end to end: the whole app, mqtt.js devices, rules that write telemetry, update
// a shadow, send a command (outcome tracked) and notify through a webhook route; decoded() over a
// device model's CSV decoder; rule entries in the device's event log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { api, connect, registerDevice, type Body } from '../test-support/platform-api.js';
import { until } from '../test-support/until.js';
import type { RulesModule } from './index.js';

describe('rules: platform actions end to end', () => {
  let p: TestPlatform;
  let rules: RulesModule;
  let dev: MqttClient;
  let hook: Server;
  const hooks: Body[] = [];
  const commands: Body[] = [];

  const rule = async (def: Body): Promise<void> => {
    const r = await api(p, 'POST', '/rules', def);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };

  before(async () => {
    p = await startTestPlatform();
    rules = p.app.modules.find((m) => m.name === 'rules') as RulesModule;
    hook = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(b) as Body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const ch = await api(p, 'POST', '/notification-channels', {
      name: 'ops',
      type: 'webhook',
      url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
      groupWindowMs: 0,
    });
    assert.equal(ch.status, 201, JSON.stringify(ch.body));
    const rt = await api(p, 'POST', '/notification-routes', {
      name: 'rules',
      channelIds: [ch.body.id],
      kinds: ['rule'],
    });
    assert.equal(rt.status, 201, JSON.stringify(rt.body));
    const secret = await registerDevice(p, 'boiler-1');
    dev = await connect(p.mqttUrl, 'boiler-1', { username: 'boiler-1', password: secret });
    dev.on('message', (topic, payload) => {
      if (!topic.includes('/commands/')) return;
      const c = JSON.parse(payload.toString()) as Body;
      commands.push(c);
      dev
        .publishAsync(`${topic}/reply`, JSON.stringify({ id: c.id, status: 'ok' }), { qos: 1 })
        .catch(() => undefined);
    });
    await dev.subscribeAsync('devices/boiler-1/commands/#', { qos: 1 });
  });
  after(async () => {
    await dev.endAsync();
    hook.close();
    await p.close();
  });

  test('telemetry action: the SELECT output becomes points of the device, and an event log entry', async () => {
    await rule({
      name: 'to_points',
      sql: "SELECT temp * 10 AS deci, 'on' AS burner FROM 'devices/+/raw'",
      actions: [{ type: 'telemetry', device: '${topic(2)}' }],
    });
    await dev.publishAsync('devices/boiler-1/raw', JSON.stringify({ temp: 7.5 }), { qos: 1 });
    await rules.idle();
    await until('the deci point', async () => {
      const l = await api(p, 'GET', '/devices/boiler-1/latest');
      return (l.body.items as Body[]).some((i) => i.metric === 'deci');
    });
    const latest = (await api(p, 'GET', '/devices/boiler-1/latest')).body;
    const item = (m: string): Body | undefined => (latest.items as Body[]).find((i) => i.metric === m);
    assert.equal(item('deci')?.value, 75);
    assert.equal(item('burner')?.text, 'on');
    const ev = await api(p, 'GET', '/devices/boiler-1/events?code=rule_action');
    const entry = (ev.body.items as Body[]).find((e) => e.fields?.rule === 'to_points');
    assert.ok(entry, JSON.stringify(ev.body));
    assert.match(entry.message as string, /rule to_points wrote telemetry/);
  });

  test('shadow action: desired state updated, the device gets the delta, history names the rule', async () => {
    const deltas: Body[] = [];
    dev.on('message', (topic, payload) => {
      if (topic.endsWith('/shadow/update/delta')) deltas.push(JSON.parse(payload.toString()) as Body);
    });
    await dev.subscribeAsync('$aws/things/boiler-1/shadow/update/delta', { qos: 1 });
    await rule({
      name: 'set_mode',
      sql: "SELECT mode, setpoint FROM 'devices/+/wanted'",
      actions: [{ type: 'shadow', device: '${topic(2)}' }],
    });
    await dev.publishAsync('devices/boiler-1/wanted', JSON.stringify({ mode: 'eco', setpoint: 40 }), {
      qos: 1,
    });
    await rules.idle();
    await until('the delta', () => deltas.length > 0);
    assert.deepEqual(deltas[0]!.state, { mode: 'eco', setpoint: 40 });
    const s = await api(p, 'GET', '/devices/boiler-1/shadow');
    assert.deepEqual(s.body.state.desired, { mode: 'eco', setpoint: 40 }, JSON.stringify(s.body));
  });

  test('command action: sent to the device, its outcome counted for the rule', async () => {
    await rule({
      name: 'lock_on_alarm',
      sql: "SELECT code AS reason FROM 'devices/+/alarm' WHERE code = 'tamper'",
      actions: [{ type: 'command', device: '${topic(2)}', name: 'lock', timeoutMs: 5000 }],
    });
    await dev.publishAsync('devices/boiler-1/alarm', JSON.stringify({ code: 'tamper' }), { qos: 1 });
    await rules.idle();
    await until('the command', () => commands.length > 0);
    assert.equal(commands[0]!.name, 'lock');
    assert.deepEqual(commands[0]!.params, { reason: 'tamper' });
    await until('the outcome', async () => {
      const r = await api(p, 'GET', '/rules/lock_on_alarm');
      return r.body.metrics?.commands?.succeeded === 1;
    });
    const c = await api(p, 'GET', `/commands/${commands[0]!.id as string}`);
    assert.equal(c.body.status, 'succeeded');
    assert.equal(c.body.actor.kind, 'rule');
    assert.equal(c.body.actor.id, 'lock_on_alarm');
  });

  test('command to an offline device: retried, then the error action runs', async () => {
    await registerDevice(p, 'boiler-2');
    const errors: string[] = [];
    dev.on('message', (topic, payload) => {
      if (topic === 'devices/boiler-1/errors') errors.push(payload.toString());
    });
    await dev.subscribeAsync('devices/boiler-1/errors', { qos: 1 });
    await rule({
      name: 'lock_other',
      sql: "SELECT 1 AS x FROM 'devices/+/lock-other'",
      actions: [{ type: 'command', device: 'boiler-2', name: 'lock', maxAttempts: 1 }],
      errorAction: { type: 'republish', topic: 'devices/boiler-1/errors' },
    });
    await dev.publishAsync('devices/boiler-1/lock-other', '{}', { qos: 1 });
    await until('the error action', () => errors.length > 0);
    const e = JSON.parse(errors[0]!) as Body;
    assert.equal(e.failures[0].failedAction, 'CommandAction');
    assert.match(e.failures[0].errorMessage as string, /rejected: DEVICE_OFFLINE/);
  });

  test('notify action: through notify routes (kind rule) to the webhook channel', async () => {
    await rule({
      name: 'hot',
      sql: "SELECT temp FROM 'devices/+/raw' WHERE temp > 80",
      actions: [
        {
          type: 'notify',
          title: 'boiler ${topic(2)} at ${temp} °C',
          severity: 'error',
          device: '${topic(2)}',
        },
      ],
    });
    await dev.publishAsync('devices/boiler-1/raw', JSON.stringify({ temp: 91 }), { qos: 1 });
    await rules.idle();
    await until('the webhook', () => hooks.length > 0);
    assert.equal(hooks[0]!.kind, 'rule');
    assert.equal(hooks[0]!.reason, 'hot');
    assert.equal(hooks[0]!.title, 'boiler boiler-1 at 91 °C');
    const item = (hooks[0]!.items as Body[])[0]!;
    assert.equal(item.severity, 'error');
    assert.equal(item.deviceId, 'boiler-1');
    assert.deepEqual(item.data.output, { temp: 91 });
  });

  test('platform actions refuse devices that are not registered', async () => {
    await rule({
      name: 'ghost',
      sql: "SELECT 1 AS x FROM 'devices/+/ghost'",
      actions: [{ type: 'telemetry', device: 'nobody', maxAttempts: 1 }],
    });
    await dev.publishAsync('devices/boiler-1/ghost', '{}', { qos: 1 });
    await rules.idle();
    const d = await api(p, 'GET', '/rules/ghost/deliveries?status=failed');
    assert.match(JSON.stringify(d.body), /device nobody is not registered/);
  });

  test('definitions: platform action fields are checked', async () => {
    const r = await api(p, 'POST', '/rules', {
      name: 'bad',
      sql: "SELECT * FROM 'a'",
      actions: [{ type: 'shadow', section: 'sideways' }],
    });
    assert.equal(r.status, 422);
    assert.match(r.body.error.message as string, /actions\[0\]\.section/);
    const c = await api(p, 'POST', '/rules', {
      name: 'bad',
      sql: "SELECT * FROM 'a'",
      actions: [{ type: 'command' }],
    });
    assert.equal(c.status, 422);
    assert.match(c.body.error.message as string, /actions\[0\]\.name/);
  });
});
