/**
 * Per-message spans encoded by hand (tracing-otlp-encode.ts) and batched (tracing-message-export.ts):
 * the bytes decode with the official OTLP field numbers (the test receiver's decoder, plus the
 * fields it does not read), and a full queue drops and counts spans instead of growing.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, TraceFlags, type SpanContext } from '@opentelemetry/api';
import protobuf from 'protobufjs';
import { decodeTraces, OtlpKind } from '../test-support/otlp-receiver.js';
import { type BatchSender, type EncodedBatch, MessageSpanExporter } from './tracing-message-export.js';
import { setMessageSpanSink, startMessageSpan } from './tracing-message-span.js';
import { ProtoWriter } from './tracing-otlp-encode.js';

/** The Span fields the receiver's schema leaves out (same numbers as opentelemetry-proto's trace.proto). */
const EXTRA = protobuf
  .parse(
    `syntax = "proto3";
message Req { repeated RS resource_spans = 1; }
message RS { repeated SS scope_spans = 2; }
message SS { repeated Span spans = 2; }
message Span {
  bytes span_id = 2; string trace_state = 3; repeated Event events = 11; repeated Link links = 13;
  Status status = 15; fixed32 flags = 16; repeated KV attributes = 9;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KV attributes = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; fixed32 flags = 6; }
message Status { string message = 2; int32 code = 3; }
message KV { string key = 1; AV value = 2; }
message AV { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; } }
message ArrayValue { repeated AV values = 1; }`,
    { keepCase: false },
  )
  .root.lookupType('Req');

/** A sender that keeps what it is given and answers when told to. */
function fakeSender(): BatchSender & {
  batches: EncodedBatch[];
  pending: ((ok: boolean) => void)[];
  auto: boolean;
} {
  const s = {
    batches: [] as EncodedBatch[],
    pending: [] as ((ok: boolean) => void)[],
    auto: true,
    export(batch: EncodedBatch, done: (r: { code: number; error?: Error }) => void) {
      s.batches.push(batch);
      const answer = (ok: boolean): void => done(ok ? { code: 0 } : { code: 1, error: new Error('down') });
      if (s.auto) answer(true);
      else s.pending.push(answer);
    },
    shutdown: () => Promise.resolve(),
  };
  return s;
}

const REMOTE_PARENT: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('message spans encoded to OTLP protobuf', () => {
  afterEach(() => setMessageSpanSink(undefined));

  test('every field decodes with the OTLP schema: ids, parent, kind, times, attributes, status, events, resource, scope', async () => {
    const sender = fakeSender();
    const exporter = new MessageSpanExporter(sender, {
      resource: { 'service.name': 'tsunagu-test', 'service.instance.id': 'node-7' },
    });
    setMessageSpanSink(exporter);
    const before = Date.now();
    const span = startMessageSpan('mqtt deliver', SpanKind.PRODUCER, REMOTE_PARENT)!;
    const long = 'x'.repeat(300) + 'é';
    span.setAttributes({
      'messaging.system': 'mqtt',
      'messaging.destination.name': long,
      'messaging.mqtt.qos': 1,
      'tsunagu.negative': -5,
      'tsunagu.ratio': 0.25,
      'tsunagu.flag': true,
      'tsunagu.list': ['a', 'b'],
      'tsunagu.unicode': 'ü→✓',
    });
    span.recordException(new Error('boom'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
    const root = startMessageSpan('mqtt deliver forwarded', SpanKind.CONSUMER, undefined)!;
    root.end();
    const after = Date.now();
    await exporter.forceFlush();

    assert.equal(sender.batches.length, 1);
    assert.equal(sender.batches[0]!.count, 2);
    const body = sender.batches[0]!.request;
    const [a, b] = decodeTraces(body);
    assert.ok(a && b);
    assert.equal(a.traceId, REMOTE_PARENT.traceId);
    assert.equal(a.spanId, span.spanContext().spanId);
    assert.equal(a.parentSpanId, REMOTE_PARENT.spanId);
    assert.equal(a.name, 'mqtt deliver');
    assert.equal(a.kind, OtlpKind.PRODUCER);
    assert.equal(a.statusCode, 2);
    assert.deepEqual(a.attributes, {
      'messaging.system': 'mqtt',
      'messaging.destination.name': long,
      'messaging.mqtt.qos': 1,
      'tsunagu.negative': -5,
      'tsunagu.ratio': 0.25,
      'tsunagu.flag': true,
      'tsunagu.unicode': 'ü→✓',
    });
    assert.deepEqual(a.resource, { 'service.name': 'tsunagu-test', 'service.instance.id': 'node-7' });
    assert.equal(a.scope, 'tsunagu');
    // Epoch times (not durations): near the test's own clock readings (a wrong encoding is years off), in order.
    assert.ok(
      a.startMs >= before - 1000 && a.startMs <= a.endMs && a.endMs <= after + 1000,
      `${a.startMs} ${a.endMs}`,
    );

    assert.equal(b.traceId, root.spanContext().traceId);
    assert.match(b.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(b.traceId, '0'.repeat(32));
    assert.equal(b.spanId, root.spanContext().spanId);
    assert.equal(b.parentSpanId, '');
    assert.equal(b.name, 'mqtt deliver forwarded');
    assert.equal(b.kind, OtlpKind.CONSUMER);
    assert.equal(b.statusCode, 0);
    assert.deepEqual(b.attributes, {});
    assert.deepEqual(b.resource, a.resource);

    /* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs decodes to plain objects */
    const extra = EXTRA.toObject(EXTRA.decode(body), { longs: String, defaults: true }) as any;
    const [ea, eb] = extra.resourceSpans[0].scopeSpans[0].spans;
    assert.equal(ea.flags, 0x301); // sampled, has is_remote, parent is remote (as the SDK's exporter)
    assert.equal(eb.flags, 0x101);
    assert.deepEqual(ea.status, { message: 'boom', code: 2 });
    assert.equal(ea.events.length, 1);
    assert.equal(ea.events[0].name, 'exception');
    const ev = Object.fromEntries(ea.events[0].attributes.map((kv: any) => [kv.key, kv.value.stringValue]));
    assert.equal(ev['exception.type'], 'Error');
    assert.equal(ev['exception.message'], 'boom');
    const eventMs = Number(BigInt(ea.events[0].timeUnixNano) / 1000n) / 1000;
    assert.ok(eventMs >= a.startMs - 1 && eventMs <= a.endMs + 1);
    const list = ea.attributes.find((kv: any) => kv.key === 'tsunagu.list').value.arrayValue.values;
    assert.deepEqual(
      list.map((v: any) => v.stringValue),
      ['a', 'b'],
    );
    /* eslint-enable @typescript-eslint/no-explicit-any */
  });

  test('spans of every length decode: under 128 bytes, up to 16,383 and longer (the span length moved or not)', async () => {
    const sender = fakeSender();
    const exporter = new MessageSpanExporter(sender, { resource: { 'service.name': 't' } });
    setMessageSpanSink(exporter);
    const sizes = [0, 40, 100, 200, 16_300, 16_400, 40_000];
    for (const n of sizes) {
      const span = startMessageSpan(`s${n}`, SpanKind.PRODUCER, n % 200 === 0 ? undefined : REMOTE_PARENT)!;
      if (n > 0) span.setAttribute('pad', 'p'.repeat(n));
      span.end();
    }
    await exporter.forceFlush();
    const spans = decodeTraces(sender.batches[0]!.request);
    assert.deepEqual(
      spans.map((s) => [s.name, String(s.attributes.pad ?? '').length]),
      sizes.map((n) => [`s${n}`, n]),
    );
  });

  test('ids are read as hex only when asked, and are those encoded, asked before the end or after', async () => {
    const sender = fakeSender();
    const exporter = new MessageSpanExporter(sender, { resource: { 'service.name': 't' } });
    setMessageSpanSink(exporter);
    const early = startMessageSpan('early', SpanKind.PRODUCER, undefined)!;
    const asked = early.spanContext();
    early.end();
    const late = startMessageSpan('late', SpanKind.PRODUCER, undefined)!;
    late.end();
    await exporter.forceFlush();
    const [a, b] = decodeTraces(sender.batches[0]!.request);
    assert.deepEqual([a!.traceId, a!.spanId], [asked.traceId, asked.spanId]);
    assert.deepEqual([b!.traceId, b!.spanId], [late.spanContext().traceId, late.spanContext().spanId]);
    assert.notEqual(a!.traceId, b!.traceId);
    assert.equal(early.spanContext(), asked, 'the same context each time');
  });

  test('ids stay unique across the random pool being replaced (thousands of spans)', async () => {
    const sender = fakeSender();
    const exporter = new MessageSpanExporter(sender, {
      resource: { 'service.name': 't' },
      maxExportBatchSize: 10_000,
      maxQueueSize: 10_000,
    });
    setMessageSpanSink(exporter);
    const asked = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const span = startMessageSpan('m', SpanKind.PRODUCER, undefined)!;
      if (i % 2 === 0) asked.add(span.spanContext().spanId);
      span.end();
    }
    await exporter.forceFlush();
    const spans = sender.batches.flatMap((b) => decodeTraces(b.request));
    assert.equal(spans.length, 3000);
    assert.equal(new Set(spans.map((s) => s.spanId)).size, 3000, 'span ids');
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 3000, 'trace ids');
    assert.equal(asked.size, 1500);
    for (const id of asked)
      assert.ok(
        spans.some((s) => s.spanId === id),
        `asked id ${id} is the one encoded`,
      );
  });

  test('times are exact nanoseconds (fixed64 beyond 2^53)', () => {
    const w = new ProtoWriter(64);
    w.time([1765000000, 123456789]);
    w.time([4102444800, 999999999]);
    w.time([0, 1]);
    assert.equal(w.buf.readBigUInt64LE(0), 1765000000123456789n);
    assert.equal(w.buf.readBigUInt64LE(8), 4102444800999999999n);
    assert.equal(w.buf.readBigUInt64LE(16), 1n);
  });

  test('a full queue drops and counts spans, sends one request at a time, and recovers', async () => {
    const sender = fakeSender();
    sender.auto = false; // the collector hangs
    const exporter = new MessageSpanExporter(sender, {
      resource: { 'service.name': 't' },
      maxExportBatchSize: 2,
      maxQueueSize: 4,
      scheduledDelayMillis: 60_000,
    });
    setMessageSpanSink(exporter);
    for (let i = 0; i < 10; i++) startMessageSpan(`m${i}`, SpanKind.PRODUCER, REMOTE_PARENT)!.end();
    // Ended spans are encoded after the event-loop turn; the queue counts them already.
    assert.equal(exporter.size(), 4);
    assert.equal(sender.batches.length, 0);
    await new Promise((resolve) => setImmediate(resolve));
    // Two full batches wait (one in flight, one queued): no overlapping send, the other six dropped.
    assert.equal(sender.batches.length, 1);
    assert.equal(exporter.stats.dropped, 6);
    sender.pending.shift()!(false); // the collector refuses the first
    assert.equal(exporter.stats.failed, 2);
    assert.equal(sender.batches.length, 2);
    sender.auto = true;
    sender.pending.shift()!(true);
    assert.equal(exporter.stats.exported, 2);
    startMessageSpan('after', SpanKind.PRODUCER, REMOTE_PARENT)!.end();
    await exporter.forceFlush();
    assert.equal(exporter.stats.exported, 3);
    assert.equal(exporter.stats.dropped, 6);
    const names = sender.batches.flatMap((b) => decodeTraces(b.request).map((s) => s.name));
    assert.deepEqual(names, ['m0', 'm1', 'm2', 'm3', 'after']);
  });
});
