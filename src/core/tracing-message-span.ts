/**
 * Per-message spans (`mqtt deliver`, `mqtt deliver forwarded`) without the SDK's Tracer
 * (docs/observability.md, "What tracing costs"). Sampling is already decided when one starts
 * (`messageParent`, tracing.ts), so the SDK's per-span work buys nothing here: sampler and
 * parent-based lookups, three passes of attribute checks, span-count metrics, two clocks and
 * their hrtime conversions. This span records its name, 24 random bytes for its ids (read as hex
 * only when asked), two `performance.now()` readings and its attributes, and is encoded to OTLP
 * protobuf after the event-loop turn it ends in (tracing-message-export.ts), so nothing of it is
 * kept until the export. It is a full API span: children (server-side handlers' spans) nest under
 * it through the SDK, and `traceparent` is injected from it.
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
/** Shared by every span until its first attribute. */
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * Random bytes for ids, handed out 24 at a time (a trace id and a span id) from a buffer that is
 * replaced, never refilled, when used up: a span keeps its buffer and offset, reads its ids as
 * hex only if something asks (`spanContext()`: a child, a `traceparent` to inject) and is encoded
 * straight from the bytes. Most message spans are never asked: the ids cost 24 bytes of a random
 * fill and no string.
 */
const POOL_BYTES = 16384;
const ID_BYTES = 24;
/** The current pool; the first `reserveIds` fills one (none is read before). */
let pool = Buffer.alloc(0);
let poolAt = POOL_BYTES;

/** Whether `n` bytes of `b` from `at` are all zero (an invalid id). */
function zeros(b: Uint8Array, at: number, n: number): boolean {
  let or = 0;
  for (let i = 0; i < n; i++) or |= b[at + i]!;
  return or === 0;
}

/** Reserve a trace id and a span id in the current pool (neither all zeros); returns the offset. */
function reserveIds(): number {
  for (;;) {
    if (poolAt + ID_BYTES > POOL_BYTES) {
      pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
      poolAt = 0;
    }
    const at = poolAt;
    poolAt += ID_BYTES;
    if (!zeros(pool, at, 16) && !zeros(pool, at + 16, 8)) return at;
  }
}

/** Epoch milliseconds as OpenTelemetry's [seconds, nanoseconds]. */
function epochHr(epochMs: number): HrTime {
  const s = Math.floor(epochMs / 1000);
  const ns = Math.round((epochMs - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}

/**
 * The wall clock minus the monotonic one (`timeOrigin + now()`), read again at most once a second
 * (`epochOffset`): they drift apart in a long-running process, and the SDK's spans correct for it.
 */
let origin = performance.timeOrigin;
let originAt = -Infinity;

/** Epoch ms of `performance.now()` 0, given a reading `now` just taken (a span's end). */
function epochOffset(now: number): number {
  if (now - originAt > 1000) {
    origin = Date.now() - now;
    originAt = now;
  }
  return origin;
}

function timeOf(t: TimeInput | undefined): HrTime {
  const now = performance.now();
  if (t === undefined) return epochHr(epochOffset(now) + now);
  if (Array.isArray(t)) return t;
  if (t instanceof Date) return epochHr(t.getTime());
  // A number up to now is a performance timestamp, a larger one epoch milliseconds (as in the SDK).
  return t <= now ? epochHr(epochOffset(now) + t) : epochHr(t);
}

class MessageSpan implements Span, SpanRecord {
  attributes: Attributes = NO_ATTRIBUTES;
  links: Link[] = NONE;
  events: TimedEvent[] = NONE;
  status: SpanStatus = UNSET;
  ended = false;
  readonly idAt = reserveIds();
  /** The pool `idAt` is in: read after `reserveIds`, which may have replaced it. */
  readonly ids = pool;
  private readonly t0 = performance.now();
  private t1 = 0;
  /** Epoch ms of `performance.now()` 0, taken at the end. */
  private offset = 0;
  private ctx: SpanContext | undefined;

  constructor(
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    private readonly to: MessageSpanSink,
  ) {}

  /** Start and end as epoch ms: read by the encoder, once the span has ended. */
  get startMs(): number {
    return this.offset + this.t0;
  }
  get endMs(): number {
    return this.offset + this.t1;
  }

  spanContext(): SpanContext {
    if (this.ctx !== undefined) return this.ctx;
    const parent = this.parentSpanContext;
    const at = this.idAt;
    this.ctx = {
      traceId: parent?.traceId ?? this.ids.toString('hex', at, at + 16),
      spanId: this.ids.toString('hex', at + 16, at + ID_BYTES),
      traceFlags: TraceFlags.SAMPLED,
    };
    if (parent?.traceState !== undefined) this.ctx.traceState = parent.traceState;
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.ended || value == null || key.length === 0) return this;
    if (this.attributes === NO_ATTRIBUTES) this.attributes = {};
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const k in attributes) this.setAttribute(k, attributes[k]);
    return this;
  }
  /** Take `attributes` as this span's own (a fresh object nobody else holds: `runInSpan`); else as `setAttributes`. */
  adoptAttributes(attributes: Attributes): void {
    if (this.attributes === NO_ATTRIBUTES && !this.ended) this.attributes = attributes;
    else this.setAttributes(attributes);
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
    this.offset = epochOffset(this.t1);
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

/** `span.setAttributes(attributes)`, taking the object itself when `span` is a message span without attributes yet. */
export function adoptAttributes(span: Span, attributes: Attributes): void {
  if (span instanceof MessageSpan) span.adoptAttributes(attributes);
  else span.setAttributes(attributes);
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
  return to === undefined ? undefined : new MessageSpan(name, kind, parent, to);
}

/**
 * The span of a new root that lost the sampling draw (tracing.ts `startSpan`): records nothing,
 * and draws its ids only if something asks for them (a `traceparent` to inject, so what it
 * propagates stays unsampled downstream); a child started under it is this span again.
 */
export class UnsampledRootSpan implements Span {
  private ctx: SpanContext | undefined;
  spanContext(): SpanContext {
    if (this.ctx !== undefined) return this.ctx;
    const at = reserveIds();
    return (this.ctx = {
      traceId: pool.toString('hex', at, at + 16),
      spanId: pool.toString('hex', at + 16, at + ID_BYTES),
      traceFlags: TraceFlags.NONE,
    });
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
