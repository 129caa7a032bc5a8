/**
 * HTTP ingest in the caller's trace: a gateway that posts with a sampled `traceparent` gets the
 * decode of each reading under the request's SERVER span. The route awaits the device lookup
 * before it decodes, and a request's context does not follow a handler's awaits (core/tracing.ts,
 * `inContextSync`), so the route hands it on (`requestContext`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Tracing } from '../core/index.js';
import { api } from '../test-support/platform-api.js';
import type { TestPlatform } from '../test-support/platform.js';
import type { OtlpReceiver } from '../test-support/otlp-receiver.js';
import { startTracedPlatform, type TracedPlatform } from '../test-support/traced-platform.js';
import { until } from '../test-support/until.js';

describe('telemetry ingest tracing over OTLP', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let p: TestPlatform;
  let traced: TracedPlatform;

  before(async () => {
    traced = await startTracedPlatform('ingest-trace-node');
    ({ receiver, tracing, p } = traced);
    assert.equal((await api(p, 'POST', '/devices', { id: 'gw-1' })).status, 201);
  });

  after(() => traced?.close());

  test('each reading of a traced HTTP ingest is decoded under the request span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${p.httpUrl}/api/v1/devices/gw-1/telemetry`, {
      method: 'POST',
      headers: {
        ...p.auth,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify([{ temp: 20 }, { temp: 21 }]),
    });
    assert.equal(res.status, 200, await res.text());
    await until('the request and decode spans', async () => {
      await tracing.flush();
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      return (
        spans.some((s) => s.name.startsWith('POST ')) && spans.some((s) => s.name === 'telemetry decode')
      );
    });
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const http = spans.find((s) => s.name.startsWith('POST '))!;
    const decodes = spans.filter((s) => s.name === 'telemetry decode');
    assert.equal(decodes.length, 2, `spans: ${spans.map((s) => s.name).join(', ')}`);
    for (const d of decodes) assert.equal(d.parentSpanId, http.spanId);
  });
});
