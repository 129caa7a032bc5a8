/**
 * /metrics of a running platform, every module loaded and exercised (an unlock answered by an
 * MQTT device, a shadow update, telemetry), checked by Prometheus' own `promtool check metrics`
 * (Debian package `prometheus`; .ci/run installs it): HELP and TYPE on every family, naming
 * conventions, and no per-device labels. Once on SQLite, once as a cluster node on PostgreSQL +
 * NATS (store pool and cluster families).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { api, connect, registerDevice } from '../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { freshPgSchema, NATS_URL, PG_URL, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;
const needPromtool = (t: TestContext): boolean => {
  if (promtool) return true;
  if (process.env.CI === 'true') throw new Error('promtool missing (apt-get install prometheus)');
  t.skip('promtool not installed (Debian: apt-get install prometheus)');
  return false;
};

/** Families each module exports (a module that stops exporting, or never loads, fails here). */
const EXPECTED_FAMILIES = [
  'tsunagu_http_request_duration_seconds',
  'tsunagu_mqtt_connections',
  'tsunagu_mqtt_messages_received_total',
  'tsunagu_commands_finished_total',
  'tsunagu_command_reply_latency_seconds',
  'tsunagu_command_duration_seconds',
  'tsunagu_commands_pending',
  'tsunagu_shadow_updates_total',
  'tsunagu_telemetry_messages_total',
  'tsunagu_telemetry_queue_size',
  'tsunagu_telemetry_batch_write_seconds',
  'tsunagu_health_devices',
  'tsunagu_health_deadlines_armed',
  'tsunagu_health_out_of_service_devices',
  'tsunagu_health_service_state_changes_total',
  'tsunagu_health_deadline_delay_seconds',
  'tsunagu_notify_queued',
  'tsunagu_slo_sli_ratio',
  'tsunagu_slo_error_budget_remaining',
  'tsunagu_slo_burn_rate',
  'tsunagu_slo_alert_firing',
  'tsunagu_rules_evaluation_seconds',
  'tsunagu_jobs_executions_total',
  'tsunagu_schedule_executions_total',
  'tsunagu_store_info',
  'tsunagu_process_cpu_seconds_total',
  // Registered whether tracing is on or not (core/tracing-metrics.ts).
  'tsunagu_tracing_spans_total',
  'tsunagu_tracing_enabled',
  'tsunagu_tracing_sample_ratio',
  'tsunagu_tracing_queue_size',
  'tsunagu_tracing_queue_capacity',
];

async function exercise(p: TestPlatform): Promise<void> {
  const secret = await registerDevice(p, 'm-scooter-1');
  const dev = await connect(p.mqttUrl, 'm-scooter-1', {
    username: 'm-scooter-1',
    password: secret,
    protocolVersion: 5,
  });
  try {
    dev.on('message', (topic, _payload, packet) => {
      void dev.publishAsync(`${topic}/reply`, JSON.stringify({ status: 'ok' }), {
        qos: 1,
        properties: { correlationData: packet.properties!.correlationData! },
      });
    });
    await dev.subscribeAsync('devices/m-scooter-1/commands/+', { qos: 1 });
    const slo = await api(p, 'POST', '/slos', {
      name: 'unlock-success',
      sli: { type: 'command-success', command: 'unlock' },
      target: 0.99,
    });
    assert.equal(slo.status, 201, JSON.stringify(slo.body));
    const cmd = await api(p, 'POST', '/devices/m-scooter-1/commands', { name: 'unlock', wait: true });
    assert.equal(cmd.body.status, 'succeeded', JSON.stringify(cmd.body));
    await dev.publishAsync(
      '$aws/things/m-scooter-1/shadow/update',
      '{"state":{"reported":{"locked":true}}}',
      {
        qos: 1,
      },
    );
    await dev.publishAsync('devices/m-scooter-1/telemetry', '{"battery":81}', { qos: 1 });
  } finally {
    await dev.endAsync();
  }
}

async function check(p: TestPlatform): Promise<string> {
  const res = await fetch(`${p.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(run.status, 0, `promtool check metrics:\n${run.stdout}${run.stderr}`);
  assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'promtool reports nothing');
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  const missing = EXPECTED_FAMILIES.filter((f) => !families.has(f));
  assert.deepEqual(missing, [], 'every module exports its families');
  // Bounded cardinality: no series is keyed by a device or client.
  assert.doesNotMatch(text, /[{,](device|device_id|deviceId|client_id|clientId|thing)="/);
  assert.doesNotMatch(text, /m-scooter-1/);
  return text;
}

describe('/metrics passes promtool', () => {
  test('single node on SQLite', async (t) => {
    if (!needPromtool(t)) return;
    const p = await startTestPlatform();
    t.after(() => p.close());
    await exercise(p);
    const text = await check(p);
    assert.match(text, /^tsunagu_commands_finished_total\{name="unlock",outcome="succeeded"\} 1$/m);
    assert.match(text, /^tsunagu_shadow_updates_total\{actor="device"\} 1$/m);
    assert.match(text, /^tsunagu_store_info\{backend="sqlite"\} 1$/m);
  });

  test('a cluster node on PostgreSQL and NATS', async (t) => {
    if (!needPromtool(t) || !(await requirePostgres(t)) || !(await requireNats(t))) return;
    const schema = await freshPgSchema('metrics');
    t.after(() => schema.drop());
    const p = await startTestPlatform(
      { database: `${PG_URL}?schema=${schema.schema}`, nodeId: 'metrics-node' },
      { cluster: { natsUrl: NATS_URL, subject: `tsunagu.test.${randomBytes(4).toString('hex')}` } },
    );
    t.after(() => p.close());
    await until('the node joined', () => p.app.cluster!.status().joined);
    await exercise(p);
    const text = await check(p);
    for (const f of [
      'tsunagu_store_pool_connections',
      'tsunagu_store_query_duration_seconds',
      'tsunagu_cluster_members',
      'tsunagu_cluster_forwarded_out_total',
    ])
      assert.match(text, new RegExp(`^# TYPE ${f} `, 'm'));
    assert.match(text, /^tsunagu_store_query_duration_seconds_count [1-9]\d*$/m);
  });
});
