/**
 * Per-message spans (`mqtt deliver`, `mqtt deliver forwarded`) without the SDK's Tracer
 * (docs/observability.md, "What tracing costs"). Sampling is already decided when one starts
 * (`messageParent`, tracing.ts), so the SDK's per-span work buys nothing here: sampler and
 * parent-based lookups, three passes of attribute checks, span-count metrics, two clocks and
 * their hrtime conversions. This span records its name, ids, two `performance.now()` readings and
 * its attributes, and is encoded to OTLP protobuf when it ends (tracing-message-export.ts), so
 * nothing of it is kept until the export. It is a full API span: children (server-side
 * handlers' spans) nest under it through the SDK, and `traceparent` is injected from it.
 *
 * tracing-sdk.ts installs the exporter (`setMessageSpanSink`); without it tracing.ts falls back to
 * the SDK's spans.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
} from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SpanRecord } from './tracing-otlp-encode.js';

/** Where ended message spans go: the encoding exporter (tracing-message-export.ts). */
export interface MessageSpanSink {
  onEnd(span: SpanRecord): void;
}

let sink: MessageSpanSink | undefined;

/** Called by tracing-sdk.ts when it starts (a sink) and stops (undefined). */
export function setMessageSpanSink(s: MessageSpanSink | undefined): void {
  sink = s;
}

/** Whether message spans can be recorded without the SDK's Tracer (tracing-sdk.ts started). */
export function messageSpansReady(): boolean {
  return sink !== undefined;
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
/** Shared by every span without links or events (most): copied on the first `addLink`/`addEvent`. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * Random ids from a pool of random bytes, read as hex by Buffer: `Number.toString(16)` per id
 * was a seventh of a sampled message's CPU in the profile.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
export function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const id = pool.toString('hex', poolAt, (poolAt += bytes));
    if (pool.readUInt32BE(poolAt - 4) !== 0 || /[^0]/.test(id)) return id; // all zeros is invalid
  }
}

/** Epoch milliseconds as OpenTelemetry's [seconds, nanoseconds]. */
function epochHr(epochMs: number): HrTime {
  const s = Math.floor(epochMs / 1000);
  const ns = Math.round((epochMs - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}

/**
 * The wall clock minus the monotonic one (`timeOrigin + now()`), read again at most once a second:
 * they drift apart in a long-running process, and the SDK's spans correct for it (per span).
 */
let drift = 0;
let driftAt = -Infinity;

/** A `performance.now()` reading as epoch time; converted when the span is encoded. */
function hr(ms: number): HrTime {
  const now = performance.now();
  if (now - driftAt > 1000) {
    drift = Date.now() - (performance.timeOrigin + now);
    driftAt = now;
  }
  return epochHr(performance.timeOrigin + drift + ms);
}

function timeOf(t: TimeInput | undefined): HrTime {
  if (t === undefined) return hr(performance.now());
  if (Array.isArray(t)) return t;
  if (t instanceof Date) return epochHr(t.getTime());
  // A number up to now is a performance timestamp, a larger one epoch milliseconds (as in the SDK).
  return t <= performance.now() ? hr(t) : epochHr(t);
}

class MessageSpan implements Span, SpanRecord {
  readonly attributes: Attributes = {};
  links: Link[] = NONE;
  events: TimedEvent[] = NONE;
  status: SpanStatus = UNSET;
  ended = false;
  private readonly t0 = performance.now();
  private t1 = 0;

  constructor(
    public name: string,
    readonly kind: SpanKind,
    private readonly ctx: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    private readonly to: MessageSpanSink,
  ) {}

  get startTime(): HrTime {
    return hr(this.t0);
  }
  get endTime(): HrTime {
    return hr(this.ended ? this.t1 : this.t0);
  }

  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.ended && value != null && key.length > 0) this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const k in attributes) this.setAttribute(k, attributes[k]);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime =
      attributesOrTime instanceof Date ||
      typeof attributesOrTime === 'number' ||
      Array.isArray(attributesOrTime);
    if (this.events === NONE) this.events = [];
    this.events.push({
      name,
      attributes: isTime ? {} : (attributesOrTime ?? {}),
      time: timeOf(isTime ? attributesOrTime : time),
      droppedAttributesCount: 0,
    });
    return this;
  }
  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links === NONE) this.links = [];
    this.links.push(link);
    return this;
  }
  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (!this.ended && status.code !== SpanStatusCode.UNSET && this.status.code !== SpanStatusCode.OK)
      this.status = status;
    return this;
  }
  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }
  end(): void {
    if (this.ended) return;
    this.t1 = performance.now();
    this.ended = true;
    this.to.onEnd(this);
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception, time?: TimeInput): void {
    const e = typeof exception === 'string' ? { message: exception } : exception;
    this.addEvent(
      'exception',
      {
        ...(e.name === undefined ? {} : { 'exception.type': e.name }),
        ...(e.message === undefined ? {} : { 'exception.message': e.message }),
        ...(e.stack === undefined ? {} : { 'exception.stacktrace': e.stack }),
      },
      time,
    );
  }
}

/**
 * A recording, sampled span under `parent` (a sampled span context) or, without one, the root of a
 * new trace; undefined when the sink is not installed (then the caller uses the SDK).
 */
export function startMessageSpan(
  name: string,
  kind: SpanKind,
  parent: SpanContext | undefined,
): Span | undefined {
  const to = sink;
  if (to === undefined) return undefined;
  const ctx: SpanContext = {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    traceFlags: TraceFlags.SAMPLED,
    ...(parent?.traceState === undefined ? {} : { traceState: parent.traceState }),
  };
  return new MessageSpan(name, kind, ctx, parent, to);
}

/**
 * The span of a new root that lost the sampling draw (tracing.ts `startSpan`): records nothing,
 * and draws its ids only if something asks for them (a `traceparent` to inject, so what it
 * propagates stays unsampled downstream); a child started under it is this span again.
 */
export class UnsampledRootSpan implements Span {
  private ctx: SpanContext | undefined;
  spanContext(): SpanContext {
    return (this.ctx ??= { traceId: randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.NONE });
  }
  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}
