/**
 * Trace context across nodes (docs/observability.md): two `tsunagu start --cluster` processes on
 * PostgreSQL and NATS export spans to one OTLP/HTTP receiver in the test. The device (MQTT 3.1.1,
 * so no user property can carry the trace) is connected to A; the app calls B with a traceparent.
 * - the command's publish on B is forwarded to A with `traceparent` in the NATS headers: A's
 *   `mqtt deliver forwarded` span is a child of B's `mqtt deliver` span, in the caller's trace;
 * - the reply settles the command on A, whose `command.settled` cluster event carries A's trace to
 *   B: B's `cluster event command.settled` span is a child of a span A exported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { testClusterSubject } from '../test-support/cluster-node.js';
import {
  startClusterProcess,
  stopClusterProcesses,
  type ClusterProcess,
} from '../test-support/cluster-processes.js';
import { OtlpKind, startOtlpReceiver, type ReceivedSpan } from '../test-support/otlp-receiver.js';
import { freshPgSchema, requireNats, requirePostgres } from '../test-support/services.js';
import { until } from '../test-support/until.js';

const TOKEN = 'trace-e2e-token-0123456789abcdef';

test('postgres+nats: a trace goes on across nodes in NATS headers (forwarded command, cluster event)', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100'; // the children export quickly
  const receiver = await startOtlpReceiver();
  const schema = await freshPgSchema('tracex');
  const extraArgs = ['--otlp-endpoint', receiver.url];
  const o = { schema: schema.schema, subject: testClusterSubject(), token: TOKEN, extraArgs };
  const nodes: ClusterProcess[] = [];
  const device = { c: undefined as mqtt.MqttClient | undefined };
  t.after(async () => {
    device.c?.end(true);
    await stopClusterProcesses(nodes);
    await schema.drop();
    await receiver.close();
  });
  nodes.push(await startClusterProcess('ta', o));
  nodes.push(await startClusterProcess('tb', o));
  const [a, b] = nodes as [ClusterProcess, ClusterProcess];
  await a.api('POST', '/devices', { id: 'door-1' });
  const secret = (await a.api('POST', '/devices/door-1/credentials', {})).secret as string;
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort}`, {
    clientId: 'door-1',
    username: 'door-1',
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  device.c = c;
  c.on('message', (topic, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string };
    c.publish(`${topic}/reply`, JSON.stringify({ id: cmd.id, status: 'ok' }), { qos: 1 });
  });
  await c.subscribeAsync('devices/door-1/commands/+', { qos: 1 });
  await until('B sees door-1 online', async () => (await b.api('GET', '/devices/door-1')).online === true);
  await until('B forwards to A', async () => (await b.gauge('tsunagu_cluster_remote_filters')) >= 1);

  const traceId = randomBytes(16).toString('hex');
  const res = await fetch(`${b.base}/api/v1/devices/door-1/commands`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    },
    body: JSON.stringify({ name: 'unlock', wait: true, timeoutMs: 10_000 }),
  });
  const done = (await res.json()) as { status: string };
  assert.equal(done.status, 'succeeded', JSON.stringify(done));

  const node = (s: ReceivedSpan): unknown => s.resource['service.instance.id'];
  const forwarded = (): ReceivedSpan | undefined =>
    receiver.spans.find((s) => s.traceId === traceId && s.name === 'mqtt deliver forwarded');
  await until('A exports its forwarded delivery in the caller’s trace', () => forwarded() !== undefined);
  const onA = forwarded()!;
  assert.equal(node(onA), 'ta');
  assert.equal(onA.kind, OtlpKind.CONSUMER);
  assert.equal(onA.attributes['messaging.destination.name'], 'devices/door-1/commands/unlock');
  assert.equal(onA.attributes['tsunagu.mqtt.delivered'], 1);
  await until('B exports its delivery span', () => receiver.spans.some((s) => s.spanId === onA.parentSpanId));
  const onB = receiver.spans.find((s) => s.spanId === onA.parentSpanId)!;
  assert.equal(onB.name, 'mqtt deliver');
  assert.equal(node(onB), 'tb');
  assert.equal(onB.attributes['tsunagu.mqtt.forwarded'], 1);
  // The publish span ends when the forward is acknowledged, after the delivery span: it may come
  // in a later export batch.
  await until('B exports the span its delivery nests under', () =>
    receiver.spans.some((s) => s.spanId === onB.parentSpanId),
  );
  const publish = receiver.spans.find((s) => s.spanId === onB.parentSpanId);
  assert.equal(publish?.name, 'publish devices/+/commands/unlock', 'B’s delivery nests under the command');

  // The settling on A (the device's 3.1.1 reply starts A's own trace) reaches B as a cluster event.
  const settled = (): ReceivedSpan | undefined =>
    receiver.spans.find(
      (s) =>
        s.name === 'cluster event command.settled' &&
        node(s) === 'tb' &&
        receiver.spans.some((p) => p.spanId === s.parentSpanId && node(p) === 'ta'),
    );
  await until('B continues A’s trace for command.settled', () => settled() !== undefined);
  const ev = settled()!;
  assert.equal(ev.kind, OtlpKind.CONSUMER);
  const parent = receiver.spans.find((p) => p.spanId === ev.parentSpanId)!;
  assert.equal(parent.traceId, ev.traceId);
});
