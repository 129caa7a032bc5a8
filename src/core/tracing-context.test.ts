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
});
