/**
 * The tracing pipeline's health on a running platform's /metrics (tracing-metrics.ts), with the
 * real SDK exporting OTLP/HTTP to a receiver on loopback: exported spans match what the collector
 * received, a collector that refuses or is down shows as failed spans, a full queue as dropped
 * ones, for per-message spans and for the SDK's. Counts are process-wide and only grow, so each
 * test compares /metrics before and after.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startOtlpReceiver, type OtlpReceiver } from '../test-support/otlp-receiver.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTracing, type Tracing } from './tracing-sdk.js';
import { messageParent, SpanKind, startMessageSpanUnder, startSpan } from './tracing.js';

type Pipeline = 'message' | 'sdk';
type Result = 'exported' | 'dropped' | 'failed';

/** A sample's value on /metrics (the series must be there). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line !== undefined, `${series} on /metrics`);
  return Number(line.slice(series.length + 1));
}

const spans = (text: string, pipeline: Pipeline, result: Result): number =>
  sample(text, `tsunagu_tracing_spans_total{pipeline="${pipeline}",result="${result}"}`);

/** How much each of the six span counters grew between two scrapes. */
function growth(before: string, after: string): Record<Pipeline, Record<Result, number>> {
  const out = { message: {}, sdk: {} } as Record<Pipeline, Record<Result, number>>;
  for (const p of ['message', 'sdk'] as const)
    for (const r of ['exported', 'dropped', 'failed'] as const)
      out[p][r] = spans(after, p, r) - spans(before, p, r);
  return out;
}

/** End `n` sampled per-message spans and `n` sampled SDK spans, at once. */
function endSpans(n: number, prefix: string): void {
  for (let i = 0; i < n; i++) {
    const parent = messageParent(undefined, true);
    assert.ok(parent, 'ratio 1: every message is traced');
    startMessageSpanUnder(`${prefix} message ${i}`, SpanKind.PRODUCER, parent).end();
    startSpan(`${prefix} sdk ${i}`, { root: true }).end();
  }
}

/** `startTracing` with some OTEL_* variables set while it reads them. */
async function startWith(env: Record<string, string>, endpoint: string, log?: pino.Logger): Promise<Tracing> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return await startTracing({ endpoint, sampleRatio: 1, nodeId: 'metrics-test', ...(log ? { log } : {}) });
  } finally {
    for (const [k, v] of saved)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

describe('tracing health on /metrics', () => {
  let p: TestPlatform;
  let receiver: OtlpReceiver | undefined;
  let tracing: Tracing | undefined;
  const scrape = async (): Promise<string> => (await fetch(`${p.httpUrl}/metrics`)).text();
  const collector = async (): Promise<OtlpReceiver> => (receiver = await startOtlpReceiver());
  // The SDK's forceFlush rejects when an export failed; the counters are what these tests read.
  const flushSettled = (): Promise<void> => tracing!.flush().catch(() => undefined);

  before(async () => {
    p = await startTestPlatform();
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    await receiver?.close();
    receiver = undefined;
  });
  after(async () => {
    await p.close();
  });

  test('tracing off: every series is there at 0, tracing_enabled 0', async () => {
    const text = await scrape();
    assert.equal(sample(text, 'tsunagu_tracing_enabled'), 0);
    assert.equal(sample(text, 'tsunagu_tracing_sample_ratio'), 0);
    for (const pipeline of ['message', 'sdk'] as const) {
      for (const result of ['exported', 'dropped', 'failed'] as const) spans(text, pipeline, result);
      assert.equal(sample(text, `tsunagu_tracing_queue_size{pipeline="${pipeline}"}`), 0);
      assert.equal(sample(text, `tsunagu_tracing_queue_capacity{pipeline="${pipeline}"}`), 0);
    }
  });

  test('exported spans match what the collector received; the queue and ratio are shown', async () => {
    const sink = await collector();
    tracing = await startWith({}, sink.url);
    const before = await scrape();
    endSpans(5, 'ok');
    await tracing.flush();
    const after = await scrape();
    const grew = growth(before, after);
    const names = sink.spans.map((s) => s.name);
    for (let i = 0; i < 5; i++) assert.ok(names.includes(`ok message ${i}`) && names.includes(`ok sdk ${i}`));
    assert.equal(grew.message.exported, names.filter((n) => n.startsWith('ok message')).length);
    // The platform's own SDK spans, if any, reach the receiver and the counter alike.
    assert.equal(grew.message.exported + grew.sdk.exported, sink.spans.length);
    assert.deepEqual(
      [grew.message.dropped, grew.message.failed, grew.sdk.dropped, grew.sdk.failed],
      [0, 0, 0, 0],
    );
    assert.equal(sample(after, 'tsunagu_tracing_enabled'), 1);
    assert.equal(sample(after, 'tsunagu_tracing_sample_ratio'), 1);
    // tracing-sdk.ts batchLimits: both queues hold 8192 spans unless OTEL_BSP_MAX_QUEUE_SIZE says otherwise.
    for (const pipeline of ['message', 'sdk'] as const) {
      assert.equal(sample(after, `tsunagu_tracing_queue_capacity{pipeline="${pipeline}"}`), 8192);
      assert.equal(sample(after, `tsunagu_tracing_queue_size{pipeline="${pipeline}"}`), 0);
    }
    if (spawnSync('promtool', ['--version']).status === 0) {
      const run = spawnSync('promtool', ['check', 'metrics'], { input: after, encoding: 'utf8' });
      assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'promtool check metrics reports nothing');
      assert.equal(run.status, 0);
    }
  });

  test('a collector that refuses: failed rises, nothing counted exported', async () => {
    const sink = await collector();
    sink.status = 400; // not retryable: the export fails at once
    const lines: { level: number; component?: string; msg: string }[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
          done();
        },
      }),
    );
    tracing = await startWith({}, sink.url, log);
    const before = await scrape();
    endSpans(3, 'refused');
    await flushSettled();
    const grew = growth(before, await scrape());
    assert.ok(sink.requests >= 2, 'both pipelines sent');
    assert.equal(grew.message.failed, 3);
    assert.ok(grew.sdk.failed >= 3, `sdk failed ${grew.sdk.failed}`);
    assert.equal(grew.message.exported + grew.sdk.exported, 0);
    // OpenTelemetry's own warnings reach the platform's log (its diag channel), as otel lines.
    const otel = lines.filter((l) => l.component === 'otel');
    assert.ok(
      otel.some((l) => l.level >= 40 && /export failed/i.test(l.msg)),
      `an otel warning or error about the failed export; got ${JSON.stringify(otel)}`,
    );
  });

  test('a collector that is down: failed rises once the export gives up', async () => {
    const closed = await startOtlpReceiver();
    const url = closed.url;
    await closed.close(); // nothing listens on its port now: connections are refused
    // The transport retries a refused connection with backoff (≈ 1 s first) within the export
    // timeout; a short timeout makes it give up after the first attempt.
    tracing = await startWith({ OTEL_EXPORTER_OTLP_TIMEOUT: '300' }, url);
    const before = await scrape();
    endSpans(3, 'down');
    await flushSettled();
    const grew = growth(before, await scrape());
    assert.equal(grew.message.failed, 3);
    assert.ok(grew.sdk.failed >= 3, `sdk failed ${grew.sdk.failed}`);
    assert.equal(grew.message.exported + grew.sdk.exported, 0);
  });

  test('a tiny queue: spans beyond it are dropped and counted, the rest exported', async () => {
    const sink = await collector();
    // Batches of 2, at most 4 spans waiting, no timer: ten spans ended at once overflow both queues
    // while the first batch is in flight.
    tracing = await startWith(
      { OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' },
      sink.url,
    );
    const before = await scrape();
    assert.equal(sample(before, 'tsunagu_tracing_queue_capacity{pipeline="message"}'), 4);
    assert.equal(sample(before, 'tsunagu_tracing_queue_capacity{pipeline="sdk"}'), 4);
    endSpans(10, 'burst');
    await tracing.flush();
    const grew = growth(before, await scrape());
    // Per-message spans (tracing-message-export.ts): two batches of 2 wait, one of them in flight; six dropped.
    assert.equal(grew.message.dropped, 6);
    assert.equal(grew.message.exported, 4);
    // The SDK's processor: a batch in flight, four waiting, the rest dropped (its own rule; at least one).
    assert.ok(grew.sdk.dropped >= 1, `sdk dropped ${grew.sdk.dropped}`);
    const sdkReceived = sink.spans.filter((s) => s.name.startsWith('burst sdk')).length;
    assert.equal(grew.sdk.dropped + sdkReceived, 10);
    assert.equal(grew.message.exported + grew.sdk.exported, sink.spans.length);
    assert.equal(grew.message.failed + grew.sdk.failed, 0);
  });

  test('after shutdown: tracing_enabled 0, the counts kept (counters never go down)', async () => {
    const sink = await collector();
    tracing = await startWith({}, sink.url);
    endSpans(2, 'last');
    await tracing.flush();
    const on = await scrape();
    await tracing.shutdown();
    tracing = undefined;
    const off = await scrape();
    assert.equal(sample(on, 'tsunagu_tracing_enabled'), 1);
    assert.equal(sample(off, 'tsunagu_tracing_enabled'), 0);
    assert.equal(sample(off, 'tsunagu_tracing_queue_capacity{pipeline="sdk"}'), 0);
    assert.ok(spans(off, 'message', 'exported') >= 2);
    assert.deepEqual(growth(on, off), {
      message: { exported: 0, dropped: 0, failed: 0 },
      sdk: { exported: 0, dropped: 0, failed: 0 },
    });
  });
});
