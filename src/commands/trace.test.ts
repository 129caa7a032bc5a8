/**
 * An unlock traced end to end: the platform exports OTLP/HTTP protobuf to a receiver on loopback,
 * an MQTT 5 device echoes the command's `traceparent` on its reply, and the received spans form
 * one tree under the caller's trace: HTTP request → command → publish → reply → outcome → SLO count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Tracing } from '../core/index.js';
import { api, connect, registerDevice } from '../test-support/platform-api.js';
import type { TestPlatform } from '../test-support/platform.js';
import { OtlpKind, type OtlpReceiver, type ReceivedSpan } from '../test-support/otlp-receiver.js';
import { startTracedPlatform, type TracedPlatform } from '../test-support/traced-platform.js';
import { until } from '../test-support/until.js';

describe('command tracing over OTLP', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let p: TestPlatform;
  let traced: TracedPlatform;
  let device: MqttClient;
  const seenTraceparents: string[] = [];
  /** While set, the device holds its replies here instead of sending them. */
  let held: (() => void)[] | undefined;

  before(async () => {
    traced = await startTracedPlatform('trace-test-node');
    ({ receiver, tracing, p } = traced);
    const secret = await registerDevice(p, 'scooter-t1');
    device = await connect(p.mqttUrl, 'scooter-t1', {
      username: 'scooter-t1',
      password: secret,
      protocolVersion: 5,
    });
    device.on('message', (topic, payload, packet) => {
      const user = packet.properties?.userProperties ?? {};
      const tp = user.traceparent;
      if (typeof tp === 'string') seenTraceparents.push(tp);
      // A traced device answers in the same trace: it echoes traceparent on the reply.
      const reply = (): void =>
        void device.publishAsync(
          packet.properties?.responseTopic ?? `${topic}/reply`,
          JSON.stringify({ status: 'ok' }),
          {
            qos: 1,
            properties: {
              ...(packet.properties?.correlationData
                ? { correlationData: packet.properties.correlationData }
                : {}),
              ...(typeof tp === 'string' ? { userProperties: { traceparent: tp } } : {}),
            },
          },
        );
      if (held) held.push(reply);
      else reply();
      void payload;
    });
    await device.subscribeAsync('devices/scooter-t1/commands/+', { qos: 1 });
    // A command-success SLO, so the outcome is counted.
    const slo = await api(p, 'POST', '/slos', {
      name: 'unlock-success',
      sli: { type: 'command-success', command: 'unlock' },
      target: 0.99,
    });
    assert.equal(slo.status, 201, JSON.stringify(slo.body));
  });

  /** POST an unlock that waits for its outcome, with the caller's `traceparent`. */
  const unlock = (traceparent: string): Promise<Response> =>
    fetch(`${p.httpUrl}/api/v1/devices/scooter-t1/commands`, {
      method: 'POST',
      headers: { ...p.auth, 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ name: 'unlock', wait: true, timeoutMs: 10_000 }),
    });

  after(async () => {
    await device?.endAsync();
    await traced?.close();
  });

  test('an unlock is one trace: HTTP → command → publish → device reply → outcome → SLO count', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await unlock(`00-${traceId}-${callerSpan}-01`);
    const body = (await res.json()) as { status: string };
    assert.equal(res.status, 200);
    assert.equal(body.status, 'succeeded');
    assert.equal(seenTraceparents.length, 1, 'the command publish carried a traceparent user property');
    assert.match(seenTraceparents[0]!, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const inTrace = (): ReceivedSpan[] => receiver.spans.filter((s) => s.traceId === traceId);
    const named = (prefix: string): ReceivedSpan | undefined =>
      inTrace().find((s) => s.name.startsWith(prefix));
    await until('the command spans to be exported', async () => {
      await tracing.flush();
      return (
        named('command unlock') !== undefined &&
        named('slo count') !== undefined &&
        named('POST ') !== undefined
      );
    });

    const httpSpan = named('POST /api/v1/devices/:')!;
    const command = named('command unlock')!;
    const publish = named('publish devices/+/commands/unlock')!;
    const reply = named('command reply unlock')!;
    const outcome = named('command outcome succeeded')!;
    const count = named('slo count command.finished')!;
    for (const [what, s] of Object.entries({ httpSpan, command, publish, reply, outcome, count }))
      assert.ok(
        s,
        `span ${what} exported; got ${inTrace()
          .map((x) => x.name)
          .join(', ')}`,
      );

    assert.equal(httpSpan.kind, OtlpKind.SERVER);
    assert.equal(httpSpan.parentSpanId, callerSpan, 'the HTTP span joins the caller’s traceparent');
    assert.equal(httpSpan.attributes['http.response.status_code'], 200);
    assert.equal(httpSpan.attributes['http.route'], '/api/v1/devices/:id/commands');
    assert.equal(command.parentSpanId, httpSpan.spanId);
    assert.equal(command.attributes['tsunagu.command.status'], 'succeeded');
    assert.equal(command.attributes['tsunagu.device.id'], 'scooter-t1');
    assert.equal(publish.parentSpanId, command.spanId);
    assert.equal(publish.kind, OtlpKind.PRODUCER);
    assert.equal(seenTraceparents[0]!.split('-')[2], publish.spanId, 'the device saw the publish span');
    const deliver = inTrace().find((s) => s.name === 'mqtt deliver' && s.parentSpanId === publish.spanId);
    assert.ok(deliver, 'the broker delivery span nests under the command publish');
    assert.equal(deliver.attributes['tsunagu.mqtt.delivered'], 1);
    assert.equal(reply.kind, OtlpKind.CONSUMER);
    assert.equal(reply.parentSpanId, publish.spanId, 'the reply joins through the echoed traceparent');
    assert.equal(outcome.parentSpanId, reply.spanId);
    assert.equal(count.parentSpanId, outcome.spanId);
    assert.equal(command.resource['service.name'], 'tsunagu');
    assert.equal(command.resource['service.instance.id'], 'trace-test-node');
  });

  test('a sampled unlock waiting for its device does not keep the process-wide async hooks on', async () => {
    // A sampled context that followed the HTTP handler's awaits kept Node's async hooks on for the
    // whole wait (a second or more per command with wait:true); at 1% sampling such waits overlap and
    // every request and message in the process paid the hooks (core/tracing-context.ts).
    held = [];
    const traceId = randomBytes(16).toString('hex');
    const pending = unlock(`00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    await until('the device to hold the command', () => held!.length === 1);
    await until("the command's own short steps to settle", () => !tracing.propagating());
    assert.equal(tracing.propagating(), false, 'nothing sampled follows awaits while the request waits');
    const release = held;
    held = undefined;
    for (const send of release) send();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'succeeded');
    await until("the waiting command's spans, under its HTTP span", async () => {
      await tracing.flush();
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const http = spans.find((s) => s.name.startsWith('POST '));
      const command = spans.find((s) => s.name === 'command unlock');
      return http !== undefined && command?.parentSpanId === http.spanId;
    });
  });

  test('a device that sends traceparent (MQTT 5 user property) puts its shadow update in its trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const deviceSpan = randomBytes(8).toString('hex');
    await device.publishAsync(
      '$aws/things/scooter-t1/shadow/update',
      JSON.stringify({ state: { reported: { locked: false } } }),
      { qos: 1, properties: { userProperties: { traceparent: `00-${traceId}-${deviceSpan}-01` } } },
    );
    await until('the shadow update span', async () => {
      await tracing.flush();
      return receiver.spans.some((s) => s.traceId === traceId && s.name === 'shadow update');
    });
    const update = receiver.spans.find((s) => s.traceId === traceId && s.name === 'shadow update')!;
    // The broker's delivery span sits between the device's span and the platform's handling.
    const deliver = receiver.spans.find((s) => s.spanId === update.parentSpanId)!;
    assert.equal(deliver.name, 'mqtt deliver');
    assert.equal(deliver.kind, OtlpKind.PRODUCER);
    assert.equal(deliver.parentSpanId, deviceSpan);
    assert.equal(deliver.attributes['messaging.destination.name'], '$aws/things/scooter-t1/shadow/update');
    assert.equal(deliver.attributes['messaging.client.id'], 'scooter-t1');
    assert.equal(update.attributes['tsunagu.actor'], 'device');
  });

  // Only sampled contexts follow awaits (core/tracing-context.ts); these check that the command and
  // the shadow update still take an unsampled caller's decision, handed on explicitly.
  test('an unsampled caller (traceparent flags 00) keeps the whole unlock untraced', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await unlock(`00-${traceId}-${randomBytes(8).toString('hex')}-00`);
    const body = (await res.json()) as { id: string; status: string };
    assert.equal(res.status, 200);
    assert.equal(body.status, 'succeeded');
    assert.match(
      seenTraceparents.at(-1) ?? '',
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`),
      'the device got the caller’s trace, unsampled',
    );
    await tracing.flush();
    const leaked = receiver.spans.filter(
      (s) => s.attributes['tsunagu.command.id'] === body.id || s.traceId === traceId,
    );
    assert.deepEqual(
      leaked.map((s) => s.name),
      [],
    );
  });

  test('an unsampled caller keeps its HTTP shadow update untraced', async () => {
    const res = await fetch(`${p.httpUrl}/api/v1/devices/scooter-t1/shadows/untraced-check`, {
      method: 'POST',
      headers: {
        ...p.auth,
        'content-type': 'application/json',
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
      },
      body: JSON.stringify({ state: { desired: { mode: 'eco' } } }),
    });
    assert.equal(res.status, 200, await res.text());
    await tracing.flush();
    assert.equal(
      receiver.spans.filter((s) => s.attributes['tsunagu.shadow.name'] === 'untraced-check').length,
      0,
    );
  });

  test('a scrape of /metrics is not traced', async () => {
    const r = await fetch(`${p.httpUrl}/metrics`);
    assert.equal(r.status, 200);
    await tracing.flush();
    assert.equal(receiver.spans.filter((s) => s.name.includes('/metrics')).length, 0);
  });
});
