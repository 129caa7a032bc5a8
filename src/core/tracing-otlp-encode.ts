/**
 * OTLP protobuf for per-message spans, written by hand (docs/observability.md, "What tracing
 * costs"): a message span is encoded once, when it ends, straight into the batch's bytes, so no
 * span object waits in a queue for the SDK's generic encoder (which built an intermediate object
 * tree per span and was over half of a sampled message's CPU). Field numbers are those of
 * opentelemetry-proto (`trace/v1/trace.proto`, `common/v1/common.proto`,
 * `resource/v1/resource.proto`, `collector/trace/v1/trace_service.proto`); every length is the
 * canonical (shortest) varint.
 */
import {
  type AttributeValue,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanStatus,
  SpanStatusCode,
  TraceFlags,
} from '@opentelemetry/api';

/** Hex digit values by character code (ids are validated hex by the API before they get here). */
const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** A growing buffer with protobuf primitives. */
export class ProtoWriter {
  buf: Buffer;
  pos: number;

  constructor(capacity = 1 << 16, headroom = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, headroom + 64));
    this.pos = headroom;
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** An unsigned varint up to 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** An int64 varint (a negative one is ten bytes of two's complement). */
  int64(v: number): void {
    if (v >= 0) return this.varint(v);
    this.ensure(10);
    let u = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** A length-delimited string (tag already written). */
  string(s: string): void {
    const len = s.length;
    if (len < 0x80) {
      // Short ASCII (keys, names, most topics) byte by byte: a call into Buffer.write costs more.
      this.ensure(1 + len * 3);
      const b = this.buf;
      const p = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === len) {
        b[p - 1] = len;
        this.pos = p + len;
        return;
      }
      if (len * 3 < 0x80) {
        // At most 3 UTF-8 bytes per UTF-16 unit: the length still fits one byte.
        const n = b.write(s, p, 'utf8');
        b[p - 1] = n;
        this.pos = p + n;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Hex (an id, lower or upper case) as a length-delimited bytes field of `n` bytes (tag already written). */
  hexBytes(hex: string, n: number): void {
    this.ensure(1 + n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = n;
    for (let i = 0; i < n; i++) b[p++] = (HEX[hex.charCodeAt(2 * i)]! << 4) | HEX[hex.charCodeAt(2 * i + 1)]!;
    this.pos = p;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** [seconds, nanoseconds] as fixed64 nanoseconds, exactly (the product exceeds 2^53). */
  time(t: HrTime): void {
    this.fixed64Ns(t[0], t[1]);
  }

  /** Epoch milliseconds (a double: sub-millisecond digits kept to its precision) as fixed64 nanoseconds. */
  timeMs(epochMs: number): void {
    const s = Math.floor(epochMs / 1000);
    const ns = Math.round((epochMs - s * 1000) * 1e6);
    if (ns >= 1e9) this.fixed64Ns(s + 1, ns - 1e9);
    else this.fixed64Ns(s, ns);
  }

  /** `s` seconds and `ns` nanoseconds (< 1e9) as one fixed64 of nanoseconds. */
  private fixed64Ns(s: number, ns: number): void {
    const sHi = Math.floor(s / 0x10000);
    const a = (s % 0x10000) * 1e9 + ns; // < 2^47
    const b = sHi * 1e9; // < 2^53 for any date before the year 2500; times 2^16 below
    let lo = (b % 0x10000) * 0x10000 + (a % 0x100000000);
    let hi = Math.floor(b / 0x10000) + Math.floor(a / 0x100000000);
    if (lo >= 0x100000000) {
      lo -= 0x100000000;
      hi += 1;
    }
    this.ensure(8);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = lo;
    buf[p + 1] = lo >>> 8;
    buf[p + 2] = lo >>> 16;
    buf[p + 3] = lo >>> 24;
    buf[p + 4] = hi;
    buf[p + 5] = hi >>> 8;
    buf[p + 6] = hi >>> 16;
    buf[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  /** Bytes as they are (`encodedField`'s). */
  bytes(from: Uint8Array): void {
    this.ensure(from.length);
    this.buf.set(from, this.pos);
    this.pos += from.length;
  }

  /** `n` bytes of `from` at `at`, as they are (no length: the caller wrote it). */
  raw(from: Uint8Array, at: number, n: number): void {
    this.ensure(n);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) b[p + i] = from[at + i]!;
    this.pos = p + n;
  }

  /** Start a length-delimited field: writes `tag`, reserves one length byte; returns the mark for `end`. */
  begin(tag: number): number {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    return this.pos++;
  }

  /**
   * `begin` for a field whose body is usually 128 to 16,383 bytes (a span): two length bytes
   * reserved, so `endWide` moves the body only when it is shorter or longer than that.
   */
  beginWide(tag: number): number {
    this.ensure(3);
    this.buf[this.pos++] = tag;
    const mark = this.pos;
    this.pos += 2;
    return mark;
  }

  /** Finish the field `beginWide` opened (its length as the canonical varint). */
  endWide(mark: number): void {
    const len = this.pos - mark - 2;
    if (len >= 0x80 && len < 0x4000) {
      this.buf[mark] = (len & 0x7f) | 0x80;
      this.buf[mark + 1] = len >>> 7;
      return;
    }
    if (len < 0x80) {
      this.buf.copyWithin(mark + 1, mark + 2, this.pos);
      this.buf[mark] = len;
      this.pos--;
      return;
    }
    this.pos -= 1; // as a one-byte reservation, which `end` widens
    this.buf.copyWithin(mark + 1, mark + 2, this.pos + 1);
    this.end(mark);
  }

  /** Finish the field `begin` opened: its length, the body moved right when it needs more than one byte. */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let extra = 0;
    for (let v = len >> 7; v > 0; v >>= 7) extra++;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let p = mark;
    let v = len;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos += extra;
  }
}

/** An AnyValue's field (tag already opened by the caller). */
function anyValue(w: ProtoWriter, v: AttributeValue | Uint8Array): void {
  if (typeof v === 'string') {
    w.byte(0x0a);
    w.string(v);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      w.byte(0x18);
      w.int64(v);
    } else {
      w.byte(0x21);
      w.double(v);
    }
  } else if (typeof v === 'boolean') {
    w.byte(0x10);
    w.byte(v ? 1 : 0);
  } else if (v instanceof Uint8Array) {
    w.byte(0x3a);
    w.varint(v.length);
    w.ensure(v.length);
    w.buf.set(v, w.pos);
    w.pos += v.length;
  } else if (Array.isArray(v)) {
    const arr = w.begin(0x2a); // array_value = 5: ArrayValue { repeated AnyValue values = 1 }
    for (const x of v as unknown[]) {
      const m = w.begin(0x0a);
      if (x != null) anyValue(w, x as AttributeValue);
      w.end(m);
    }
    w.end(arr);
  }
}

/**
 * String fields that repeat from span to span (attribute keys, span names), encoded once each:
 * tag, length and UTF-8, copied in one call. The platform's keys and names are a few dozen
 * constants (a topic is a value, not a key); bounded, so strings built at run time only fill it.
 */
const MAX_ENCODED = 256;
const KEYS = new Map<string, Uint8Array>(); // KeyValue.key = 1
const NAMES = new Map<string, Uint8Array>(); // Span.name = 5

/** A string field with tag `tag` (one byte), from `seen` (that tag's) when `s` was written before. */
function repeatedString(w: ProtoWriter, seen: Map<string, Uint8Array>, tag: number, s: string): void {
  const encoded = seen.get(s);
  if (encoded !== undefined) return w.bytes(encoded);
  const start = w.pos;
  w.byte(tag);
  w.string(s);
  if (seen.size < MAX_ENCODED) seen.set(s, new Uint8Array(w.buf.subarray(start, w.pos)));
}

/** Repeated KeyValue `attributes` under field tag `tag`. */
export function attributes(w: ProtoWriter, tag: number, attrs: Attributes): void {
  for (const key in attrs) {
    const v = attrs[key];
    if (v == null) continue;
    const kv = w.begin(tag);
    repeatedString(w, KEYS, 0x0a, key);
    const av = w.begin(0x12);
    anyValue(w, v);
    w.end(av);
    w.end(kv);
  }
}

/** OTLP span flags: the W3C trace flags, "has is_remote" and, when so, "is remote" (as the SDK's exporter). */
function flags(traceFlags: number, remote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (remote === true ? 0x200 : 0);
}

/** What a message span hands the encoder when it ends (tracing-message-span.ts). */
export interface SpanRecord {
  readonly name: string;
  /** The API's SpanKind (OTLP's is one more). */
  readonly kind: number;
  /**
   * The ids as bytes at `idAt`: a trace id (16; a span under a parent has its parent's instead)
   * and the span id (8).
   */
  readonly ids: Uint8Array;
  readonly idAt: number;
  readonly parentSpanContext: SpanContext | undefined;
  /** Epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  events: readonly { name: string; time: HrTime; attributes?: Attributes }[];
  links: readonly Link[];
  status: SpanStatus;
}

/** One `ScopeSpans.spans` entry (field 2): the span as an OTLP `Span` message. */
export function writeSpan(w: ProtoWriter, s: SpanRecord): void {
  const parent = s.parentSpanContext;
  const m = w.beginWide(0x12);
  w.byte(0x0a);
  if (parent === undefined) {
    w.byte(16);
    w.raw(s.ids, s.idAt, 16);
  } else w.hexBytes(parent.traceId, 16);
  w.byte(0x12);
  w.byte(8);
  w.raw(s.ids, s.idAt + 16, 8);
  const state = parent?.traceState?.serialize();
  if (state) {
    w.byte(0x1a);
    w.string(state);
  }
  if (parent !== undefined) {
    w.byte(0x22);
    w.hexBytes(parent.spanId, 8);
  }
  repeatedString(w, NAMES, 0x2a, s.name);
  w.byte(0x30);
  w.varint(s.kind + 1);
  w.byte(0x39);
  w.timeMs(s.startMs);
  w.byte(0x41);
  w.timeMs(s.endMs);
  attributes(w, 0x4a, s.attributes);
  for (const e of s.events) {
    const em = w.begin(0x5a); // events = 11: Event { time_unix_nano = 1, name = 2, attributes = 3 }
    w.byte(0x09);
    w.time(e.time);
    w.byte(0x12);
    w.string(e.name);
    if (e.attributes) attributes(w, 0x1a, e.attributes);
    w.end(em);
  }
  for (const l of s.links) {
    const lm = w.begin(0x6a); // links = 13: Link { trace_id 1, span_id 2, trace_state 3, attributes 4, flags 6 }
    w.byte(0x0a);
    w.hexBytes(l.context.traceId, 16);
    w.byte(0x12);
    w.hexBytes(l.context.spanId, 8);
    const ls = l.context.traceState?.serialize();
    if (ls) {
      w.byte(0x1a);
      w.string(ls);
    }
    if (l.attributes) attributes(w, 0x22, l.attributes);
    w.byte(0x35);
    w.fixed32(flags(l.context.traceFlags, l.context.isRemote));
    w.end(lm);
  }
  if (s.status.code !== SpanStatusCode.UNSET || s.status.message) {
    const st = w.begin(0x7a); // status = 15: Status { message = 2, code = 3 }
    if (s.status.message) {
      w.byte(0x12);
      w.string(s.status.message);
    }
    w.byte(0x18);
    w.varint(s.status.code);
    w.end(st);
  }
  w.byte(0x85); // flags = 16, fixed32: tag 133 as a two-byte varint
  w.byte(0x01);
  w.fixed32(flags(TraceFlags.SAMPLED, parent?.isRemote));
  w.endWide(m);
}

/**
 * What goes before a batch's spans, written once per exporter: ResourceSpans' `resource` (the
 * SDK resource's attributes) and ScopeSpans' `scope` (name `tsunagu`), each with tag and length.
 */
export function requestParts(resource: Attributes, scope: string): { resource: Buffer; scope: Buffer } {
  const r = new ProtoWriter(1024);
  const rm = r.begin(0x0a);
  attributes(r, 0x0a, resource);
  r.end(rm);
  const s = new ProtoWriter(256);
  const sm = s.begin(0x0a);
  s.byte(0x0a);
  s.string(scope);
  s.end(sm);
  return { resource: r.buf.subarray(0, r.pos), scope: s.buf.subarray(0, s.pos) };
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Bytes `wrapRequest` may need before the spans: the parts and three tags with five-byte lengths. */
export function headroomFor(parts: { resource: Buffer; scope: Buffer }): number {
  return parts.resource.length + parts.scope.length + 3 * 6;
}

/**
 * An ExportTraceServiceRequest { resource_spans { resource, scope_spans { scope, spans } } } around
 * the spans in `buf[from, to)`, written right-aligned into the headroom before `from` (no copy of
 * the spans); returns the request's bytes.
 */
export function wrapRequest(
  buf: Buffer,
  from: number,
  to: number,
  parts: { resource: Buffer; scope: Buffer },
): Buffer {
  const scopeSpans = parts.scope.length + (to - from);
  const resourceSpans = parts.resource.length + 1 + varintLength(scopeSpans) + scopeSpans;
  const head = new ProtoWriter(headroomFor(parts));
  head.byte(0x0a); // ExportTraceServiceRequest.resource_spans = 1
  head.varint(resourceSpans);
  head.ensure(parts.resource.length);
  head.pos += parts.resource.copy(head.buf, head.pos);
  head.byte(0x12); // ResourceSpans.scope_spans = 2
  head.varint(scopeSpans);
  head.ensure(parts.scope.length);
  head.pos += parts.scope.copy(head.buf, head.pos);
  const start = from - head.pos;
  if (start < 0) throw new Error('OTLP request header larger than its headroom');
  head.buf.copy(buf, start, 0, head.pos);
  return buf.subarray(start, to);
}
