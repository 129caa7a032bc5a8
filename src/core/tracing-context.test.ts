/**
 * The context manager behind the tracing seam (tracing-context.ts), with the real SDK exporting
 * OTLP/HTTP to a receiver on loopback: sampled work keeps its trace across awaits as with the
 * SDK's own manager, and nothing unsampled turns on Node's process-wide async and promise hooks
 * (what doubled the broker's CPU per message at 1% sampling, docs/benchmarks.md).
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../test-support/otlp-receiver.js';
import { until } from '../test-support/until.js';
import { startTracing, type Tracing } from './tracing-sdk.js';
import {
  activeContext,
  extractContext,
  inContext,
  inMessageTrace,
  messageParent,
  runInSpan,
  SpanKind,
  startMessageSpanUnder,
  startSpan,
  withChildSpan,
  withSpan,
} from './tracing.js';

describe('tracing context: async propagation only while sampled work is in flight', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });
  after(async () => {
    await receiver.close();
  });

  const exported = async (name: string): Promise<ReceivedSpan> => {
    await until(`span "${name}" exported`, async () => {
      await tracing!.flush();
      return receiver.spans.some((s) => s.name === name);
    });
    return receiver.spans.find((s) => s.name === name)!;
  };

  test('nothing sampled turns on no process-wide hook; a sampled span does while it runs (own process)', async () => {
    // node:test runs with async hooks on, so the probe runs in a process of its own.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../test-support/tracing-hooks-probe.ts', import.meta.url)),
        receiver.url,
      ],
      { timeout: 60_000 },
    );
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, boolean>;
    assert.deepEqual(seen, {
      before: false,
      afterUnsampled: false,
      duringSampled: true,
      afterSampled: false,
    });
  });

  test('a sampled span keeps its children across awaits, and propagation stops when it ends', async () => {
    tracing = await startTracing({ endpoint: receiver.url, sampleRatio: 1, nodeId: 'ctx-test' });
    let inside = false;
    await withSpan('sampled parent', {}, async () => {
      await tick();
      inside = tracing!.propagating();
      await tick();
      await withSpan('sampled child', {}, () => tick());
    });
    assert.equal(inside, true, 'the context follows awaits while the sampled span runs');
    assert.equal(tracing.propagating(), false, 'and not after');
    const parent = await exported('sampled parent');
    const child = await exported('sampled child');
    assert.equal(child.parentSpanId, parent.spanId);
    assert.equal(child.traceId, parent.traceId);
  });

  test('an unsampled caller keeps a child unsampled when its context is handed on after an await', async () => {
    tracing = await startTracing({ endpoint: receiver.url, sampleRatio: 1, nodeId: 'ctx-test' });
    const caller = extractContext({ traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-00` });
    await inContext(caller, async () => {
      const parent = activeContext(); // taken before the await
      await tick();
      await withSpan('handed-on child', { parent }, () => tick());
    });
    await tracing.flush();
    assert.equal(
      receiver.spans.some((s) => s.name === 'handed-on child'),
      false,
      'parent-based: not sampled',
    );
  });

  test('a message handler keeps the delivery trace after the delivery span ended', async () => {
    tracing = await startTracing({ endpoint: receiver.url, sampleRatio: 1, nodeId: 'ctx-test' });
    const parent = messageParent(undefined, true)!;
    const span = startSpan('delivery', { parent });
    let handled: Promise<void> | undefined;
    runInSpan(span, parent, () => {
      handled = inMessageTrace(undefined, async () => {
        await tick();
        await tick();
        await withChildSpan('handler step', {}, () => tick());
      });
    });
    await handled;
    const delivery = await exported('delivery');
    const step = await exported('handler step');
    assert.equal(step.parentSpanId, delivery.spanId);
    assert.equal(tracing.propagating(), false);
  });

  test('a per-message span (no SDK tracer) exports like an SDK span, under its parent, with children', async () => {
    tracing = await startTracing({ endpoint: receiver.url, sampleRatio: 1, nodeId: 'ctx-test' });
    const before = Date.now();
    // A new root (drawn by messageParent), with a handler's span under it.
    const root = messageParent(undefined, true)!;
    const span = startMessageSpanUnder('light delivery', SpanKind.PRODUCER, root);
    runInSpan(
      span,
      root,
      () => withChildSpan('light child', {}, () => 7),
      (r) => ({ 'test.result': r ?? -1 }),
    );
    // Under a device's sampled traceparent.
    const remote = messageParent({ traceparent: `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01` }, true)!;
    runInSpan(startMessageSpanUnder('light remote', SpanKind.CONSUMER, remote), remote, () => undefined);
    const after = Date.now();
    const d = await exported('light delivery');
    const child = await exported('light child');
    const r = await exported('light remote');
    assert.equal(d.kind, 4, 'PRODUCER (OTLP numbering)');
    assert.equal(d.parentSpanId, '');
    assert.match(d.traceId, /^[0-9a-f]{32}$/);
    assert.match(d.spanId, /^[0-9a-f]{16}$/);
    assert.deepEqual(d.attributes, { 'test.result': 7 });
    assert.equal(d.resource['service.instance.id'], 'ctx-test');
    assert.equal(d.scope, 'tsunagu');
    // Epoch timestamps (the monotonic clock may drift from the wall clock by a little: a second's slack).
    assert.ok(
      d.startMs > before - 1000 && d.startMs <= d.endMs && d.endMs < after + 1000,
      'timestamps in the run',
    );
    assert.equal(child.parentSpanId, d.spanId);
    assert.equal(child.traceId, d.traceId);
    assert.equal(r.kind, 5, 'CONSUMER');
    assert.equal(r.traceId, 'e'.repeat(32));
    assert.equal(r.parentSpanId, 'f'.repeat(16));
  });
});
