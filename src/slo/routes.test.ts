// The HTTP API and /metrics on a whole platform (startTestPlatform with ManualClock), and one end to
// end path over the real broker: mqtt.js publishes → telemetry → 'device.message' → SLO counters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { ManualClock } from '../core/clock.js';
import type { TsunaguEvents } from '../core/events.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { MINUTE } from './budget.js';

const START = Date.UTC(2026, 0, 10);

describe('SLO HTTP API', () => {
  let p: TestPlatform;
  const clock = new ManualClock(START);
  const alerts: TsunaguEvents['slo.alert'][] = [];

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers = {},
  ) => {
    const r = await p.app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...p.auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads loosely typed JSON
    return { status: r.statusCode, body: r.body, json: () => JSON.parse(r.body) as Record<string, any> };
  };

  before(async () => {
    p = await startTestPlatform({ allowAnonymous: true }, { clock });
    p.app.bus.on('slo.alert', (a) => alerts.push(a));
  });
  after(() => p.close());

  test('CRUD with validation errors naming the field', async () => {
    const body = { name: 'unlock', sli: { type: 'command-success', command: 'unlock' }, target: 0.999 };
    const created = await call('POST', '/slos', body);
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(created.json().window, { rolling: '30d' });
    assert.equal(created.json().alerting.tiers.length, 3);
    assert.equal((await call('POST', '/slos', body)).status, 409);
    const got = await call('GET', '/slos/unlock');
    assert.equal(got.json().sli.command, 'unlock');
    const bad: [unknown, string][] = [
      [{ ...body, name: 'x1', target: 1.2 }, 'target'],
      [{ ...body, name: 'x1', colour: 'red' }, 'colour'],
      [{ ...body, name: 'x1', sli: { type: 'command-latency' } }, 'sli.thresholdMs'],
      [{ ...body, name: 'x1', window: { calendar: 'month', timeZone: 'Nowhere/City' } }, 'window.timeZone'],
      [
        {
          ...body,
          name: 'x1',
          alerting: {
            tiers: [{ name: 'a', severity: 'page', longWindow: '1h', shortWindow: '2h', budgetShare: 0.1 }],
          },
        },
        'alerting.tiers[0].shortWindow',
      ],
    ];
    for (const [payload, field] of bad) {
      const r = await call('POST', '/slos', payload);
      assert.equal(r.status, 422, r.body);
      assert.equal(r.json().error.field, field, r.body);
    }
    const put = await call('PUT', '/slos/unlock', { ...body, target: 0.99 });
    assert.equal(put.status, 200, put.body);
    assert.equal((await call('GET', '/slos/unlock')).json().target, 0.99);
    assert.equal((await call('PUT', '/slos/other', body)).json().error.field, 'name');
    const list = await call('GET', '/slos');
    assert.deepEqual(
      list.json().items.map((d: { name: string }) => d.name),
      ['unlock'],
    );
    assert.equal((await call('DELETE', '/slos/unlock')).status, 204);
    assert.equal((await call('GET', '/slos/unlock')).status, 404);
    assert.equal((await call('DELETE', '/slos/unlock')).status, 404);
  });

  test('status, alerts, history and /metrics follow bus events minute by minute', async () => {
    const r = await call('POST', '/slos', {
      name: 'lock',
      sli: { type: 'command-success', command: 'lock' },
      target: 0.999,
      alerting: { minEvents: 10 },
    });
    assert.equal(r.status, 201, r.body);
    const finish = (ok: boolean) =>
      p.app.bus.emit('command.finished', {
        commandId: String(Math.random()),
        deviceId: 'sc-1',
        name: 'lock',
        status: ok ? 'succeeded' : 'failed',
        requestedAt: clock.now(),
        finishedAt: clock.now(),
      });
    for (let m = 0; m < 3; m++) {
      for (let i = 0; i < 20; i++) finish(m < 2 || i >= 10); // minute 2: half fail
      clock.advance(MINUTE);
    }
    clock.advance(2000); // the engine evaluates each closed minute 2 s after it closes
    const st = (await call('GET', '/slos/lock/status')).json();
    assert.equal(st.minute, START + 2 * MINUTE, 'the values describe minute 2, the last closed one');
    assert.equal(st.evaluatedAt, START + 3 * MINUTE + 2000);
    assert.equal(st.total, 60);
    assert.equal(st.good, 50);
    assert.ok(Math.abs(st.budgetRemaining - (1 - 10 / (60 * 0.001))) < 1e-9);
    assert.ok(st.burnRates['5m'] > 14.4);
    assert.deepEqual(st.firing.sort(), ['page-1h', 'page-6h', 'ticket-3d']);
    const fired = alerts.filter((a) => a.sloId === 'lock' && a.state === 'firing');
    assert.equal(fired.length, 3);
    assert.ok(fired.every((a) => a.at === START + 3 * MINUTE));
    const list = (await call('GET', '/alerts?state=firing&limit=2')).json();
    assert.equal(list.items.length, 2);
    const rest = (await call('GET', `/alerts?state=firing&limit=2&before=${list.nextBefore}`)).json();
    assert.equal(rest.items.length, 1);
    assert.equal(rest.nextBefore, null);

    const hist = (
      await call('GET', `/slos/lock/history?from=${START + MINUTE}&to=${START + 3 * MINUTE}&step=1m`)
    ).json();
    assert.deepEqual(
      hist.points.map((x: { good: number; total: number }) => [x.good, x.total]),
      [
        [20, 20],
        [40, 40],
        [50, 60],
      ],
    );
    assert.equal((await call('GET', '/slos/lock/history?step=soon')).json().error.field, 'step');

    const metrics = await p.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /tsunagu_slo_sli_ratio\{slo="lock"\} 0\.8333/);
    assert.match(metrics.body, /tsunagu_slo_burn_rate\{slo="lock",window="1h"\} 166\.66/);
    assert.match(metrics.body, /tsunagu_slo_alert_firing\{slo="lock",tier="page-1h",severity="page"\} 1/);
    assert.match(metrics.body, /tsunagu_slo_error_budget_remaining\{slo="lock"\} -165\.66/);
  });

  test('OpenSLO import/export and Tsunagu YAML over HTTP', async () => {
    const yaml = [
      'apiVersion: openslo/v1',
      'kind: SLO',
      'metadata: { name: hb-berlin, displayName: Heartbeats Berlin }',
      'spec:',
      '  indicator:',
      '    spec:',
      '      ratioMetric:',
      '        good: { metricSource: { type: tsunagu, spec: { indicator: heartbeat, tag: berlin } } }',
      '        total: { metricSource: { type: tsunagu, spec: { indicator: heartbeat, tag: berlin } } }',
      '  timeWindow: [{ duration: 1w, isRolling: false, calendar: { startTime: "2026-01-05 00:00:00", timeZone: Europe/Berlin } }]',
      '  budgetingMethod: Occurrences',
      '  objectives: [{ target: 0.995 }]',
    ].join('\n');
    const yamlHeaders = { 'content-type': 'application/yaml' };
    const imp = await call('POST', '/slos/import', yaml, yamlHeaders);
    assert.equal(imp.status, 200, imp.body);
    assert.deepEqual(imp.json().created, ['hb-berlin']);
    assert.deepEqual(imp.json().warnings, []);
    const unknown = await call('POST', '/slos/import', `${yaml}\n  flavour: vanilla`, yamlHeaders);
    assert.equal(unknown.status, 422, unknown.body);
    assert.equal(unknown.json().error.field, 'documents[0].spec.flavour');
    // A list of documents (as oslo and the go-sdk write them), with kinds other than SLO: kept and exported.
    const list = [
      '- apiVersion: openslo/v1',
      '  kind: Service',
      '  metadata: { name: scooters, labels: { team: [mobility] } }',
      '  spec: { description: Shared scooters }',
      '- apiVersion: openslo/v1',
      '  kind: AlertPolicy',
      '  metadata: { name: standalone }',
      '  spec:',
      '    conditions: [{ conditionRef: somewhere-else }]',
      '    notificationTargets: [{ targetRef: oncall }]',
      '- apiVersion: openslo/v1',
      '  kind: SLO',
      '  metadata: { name: unlocks }',
      '  spec:',
      '    service: scooters',
      '    indicator:',
      '      spec:',
      '        ratioMetric:',
      '          good: { metricSource: { type: tsunagu, spec: { indicator: command-success, command: unlock } } }',
      '          total: { metricSource: { type: tsunagu, spec: { indicator: command-success, command: unlock } } }',
      '    budgetingMethod: Occurrences',
      '    objectives: [{ displayName: Unlocks work, target: 0.999 }]',
    ].join('\n');
    const listed = await call('POST', '/slos/import', list, yamlHeaders);
    assert.equal(listed.status, 200, listed.body);
    assert.deepEqual(listed.json().created, ['unlocks']);
    assert.deepEqual(listed.json().stored, ['Service/scooters', 'AlertPolicy/standalone']);
    assert.equal((await call('GET', '/slos/unlocks')).json().target, 0.999);
    const exported = await p.app.http.inject({ method: 'GET', url: '/api/v1/slos/export', headers: p.auth });
    assert.match(exported.body, /displayName: Unlocks work\n\s+target: 0\.999\n/);
    assert.match(exported.body, /kind: AlertPolicy\nmetadata:\n {2}name: standalone/);
    assert.match(exported.body, /kind: Service\nmetadata:\n {2}name: scooters\n {2}labels:/);
    assert.equal((await call('DELETE', '/slos/unlocks')).status, 204);
    const exp1 = await p.app.http.inject({ method: 'GET', url: '/api/v1/slos/export', headers: p.auth });
    assert.match(exp1.headers['content-type'] as string, /yaml/);
    const again = await call('POST', '/slos/import', exp1.body, yamlHeaders);
    assert.deepEqual(again.json().updated.sort(), ['hb-berlin', 'lock']);
    assert.deepEqual(again.json().stored, ['Service/scooters', 'AlertPolicy/standalone']);
    assert.deepEqual(again.json().warnings, []);
    const exp2 = await p.app.http.inject({ method: 'GET', url: '/api/v1/slos/export', headers: p.auth });
    assert.equal(exp2.body, exp1.body);
    const tsu = await p.app.http.inject({
      method: 'GET',
      url: '/api/v1/slos/export?format=tsunagu',
      headers: p.auth,
    });
    assert.match(tsu.body, /kind: SLOList/);
    const back = await call('POST', '/slos/import?format=tsunagu&dryRun=true', tsu.body, yamlHeaders);
    assert.deepEqual(back.json(), {
      created: [],
      updated: ['hb-berlin', 'lock'],
      warnings: [],
      dryRun: true,
    });
    const invalid = await call(
      'POST',
      '/slos/import',
      yaml.replace('target: 0.995', 'target: 7'),
      yamlHeaders,
    );
    assert.equal(invalid.status, 422);
    assert.equal(invalid.json().error.field, 'documents[0].spec.objectives[0].target');
    assert.equal(
      (await call('GET', '/slos/hb-berlin')).json().target,
      0.995,
      'invalid import changed nothing',
    );
  });

  test('end to end: mqtt.js publishes telemetry, decode health counts it', async () => {
    const r = await call('POST', '/slos', { name: 'decoding', sli: { type: 'decode-health' }, target: 0.9 });
    assert.equal(r.status, 201, r.body);
    const seen: TsunaguEvents['device.message'][] = [];
    const off = p.app.bus.on('device.message', (m) => seen.push(m));
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'e2e-dev', reconnectPeriod: 0 });
    try {
      await c.publishAsync('devices/e2e-dev/telemetry', JSON.stringify({ temperature: 21.5 }), { qos: 1 });
      await c.publishAsync('devices/e2e-dev/telemetry', 'not json {', { qos: 1 });
    } finally {
      await c.endAsync();
      off();
    }
    assert.equal(seen.length, 2, 'telemetry consumed both messages');
    clock.advance(MINUTE);
    const st = (await call('GET', '/slos/decoding/status')).json();
    assert.equal(st.total, 2);
    assert.equal(st.good, seen.filter((m) => m.decoded).length);
    assert.ok(st.good < 2, 'the garbage payload is a decode failure');
  });
});
