/**
 * The tracing seam (docs/observability.md): modules name spans through this file, over the
 * OpenTelemetry API only. Until `startTracing()` (tracing-sdk.ts, called by main.ts when an OTLP
 * endpoint is set) registers an SDK, every call here is the API's no-op: no allocation per span
 * beyond a shared non-recording span, nothing injected into MQTT properties.
 *
 * Trace context crosses MQTT 5 as a `traceparent` user property (W3C Trace Context), so a device
 * that echoes or sends one joins the trace.
 */
import {
  context,
  createContextKey,
  ROOT_CONTEXT,
  propagation,
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

import { activeContextFast, withContextSync } from './tracing-context.js';
import { adoptAttributes, startMessageSpan, UnsampledRootSpan } from './tracing-message-span.js';
import { withSpanOnTop } from './tracing-span-context.js';

export { SpanKind, SpanStatusCode, type Attributes, type Context, type Span };

const TRACER_NAME = 'tsunagu';

type Carrier = Record<string, string | string[] | undefined>;

/**
 * The tracer, looked up once per SDK start or stop (`setMessageTracing` forgets it): the API's
 * lookup (global registry, provider map) was a sixth of a sampled broker message's span work in
 * the CPU profile.
 */
let cachedTracer: Tracer | undefined;
/** Whether an SDK is registered and exporting (`setMessageTracing`): per-message tracing on. */
let messageTracing = false;
function tracer(): Tracer {
  return (cachedTracer ??= trace.getTracer(TRACER_NAME));
}

export interface SpanOptions {
  kind?: SpanKind;
  /** Or a function that builds them, called only when the span is sampled (`startSpan`). */
  attributes?: Attributes | (() => Attributes);
  /** Parent context; default: the active one. */
  parent?: Context;
  /** Start a new trace whatever is active (work for many callers at once, e.g. a write batch). */
  root?: boolean;
}

/**
 * Start a span that the caller ends (for lifecycles that outlive one function, e.g. a command).
 * With tracing on, the sampling decision is made here first, and a span that would not be sampled
 * never reaches the SDK (its tracer drew two ids with `Math.random`, formatted them, ran the
 * sampler and copied the attributes for a span it then dropped): under an unsampled parent the
 * parent itself stands in (nothing is recorded under it, and what it propagates is the same
 * trace, flags 00); a new root loses the draw at the sample ratio (`rootSampled`) and gets a
 * non-recording span whose fresh ids are drawn only when asked for, so what it propagates stays unsampled downstream. `attributes`
 * may be a function, called only for a span that is recorded.
 */
export function startSpan(name: string, opts: SpanOptions = {}): Span {
  let parent = opts.root ? ROOT_CONTEXT : (opts.parent ?? context.active());
  if (messageTracing) {
    const p = trace.getSpan(parent);
    if (p instanceof UnsampledRootSpan) return p;
    const sc = p?.spanContext();
    if (p !== undefined && sc !== undefined && trace.isSpanContextValid(sc)) {
      if ((sc.traceFlags & 1) === 0 && !p.isRecording()) return p;
    } else if (parent.getValue(PRESAMPLED) !== true) {
      if (!rootSampled()) return new UnsampledRootSpan();
      parent = parent.setValue(PRESAMPLED, true);
    }
  }
  const attributes = typeof opts.attributes === 'function' ? opts.attributes() : opts.attributes;
  return tracer().startSpan(
    name,
    {
      ...(opts.kind === undefined ? {} : { kind: opts.kind }),
      ...(attributes ? { attributes } : {}),
    },
    parent,
  );
}

/** Mark a span failed with the error and end it. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/**
 * Run `fn` inside a new active span that ends when `fn` returns or its promise settles; an error
 * marks the span failed and is rethrown. Children started inside `fn` (across awaits) nest under it.
 */
export function withSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => T): T {
  const span = startSpan(name, opts);
  const base = opts.root ? ROOT_CONTEXT : (opts.parent ?? context.active());
  // An unsampled parent's span stands in for the child (startSpan): its context is the child's.
  const ctx = trace.getSpan(base) === span ? base : trace.setSpan(base, span);
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, span);
  } catch (err) {
    failSpan(span, err);
    throw err;
  }
  if (result instanceof Promise)
    return result.then(
      (v: unknown) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        failSpan(span, err);
        throw err;
      },
    ) as T;
  span.end();
  return result;
}

/**
 * `withSpan` only inside an existing trace (else just `fn`): for steps that happen per event and
 * would otherwise start a trace per heartbeat (an SLO count under a command's outcome).
 */
export function withChildSpan<T>(name: string, attributes: Attributes, fn: () => T): T {
  const active = activeContextFast();
  return active === ROOT_CONTEXT || trace.getSpan(active) === undefined
    ? fn()
    : withSpan(name, { attributes }, fn);
}

/** Run `fn` with `span` as the active span (its children nest under it); does not end it. */
export function inSpan<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Run `fn` with `ctx` as the active context (a context taken earlier, e.g. a request's). */
export function inContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/**
 * Run `fn` with `ctx` active for its synchronous part only: its awaits do not keep it, even when
 * sampled. For long-lived work that hands its context on explicitly (an HTTP handler that waits
 * for a device's reply takes `requestContext(req)`): a sampled context that follows awaits keeps
 * Node's async hooks on for the whole process while it is in flight (tracing-context.ts), so a
 * sampled request waiting a second would make every other request and message pay them.
 */
export function inContextSync<T>(ctx: Context, fn: () => T): T {
  return withContextSync(ctx, fn);
}

/**
 * Run a handler of a message in the message's trace: the active span (the broker's `mqtt deliver`
 * span, itself under the message's traceparent), else the trace its `traceparent` user property
 * names (MQTT 5), else just `fn`. Entering the context here, not only inheriting it, keeps it
 * across the handler's awaits until its promise settles, after the delivery span has ended
 * (tracing-context.ts: sampled contexts follow awaits only while such work is in flight).
 */
export function inMessageTrace<T>(userProperties: Carrier | undefined, fn: () => T): T {
  if (!messageTracing) return fn(); // no SDK: nothing to enter (called per message and handler)
  const active = activeContextFast();
  if (active !== ROOT_CONTEXT && trace.getSpan(active) !== undefined) return context.with(active, fn);
  if (userProperties?.traceparent === undefined) return fn();
  return context.with(extractContext(userProperties), fn);
}

/**
 * The active context, to hand to work that runs later (a timer, another module) or after an
 * await: take it before the first await of a function that starts a span later, so an unsampled
 * caller keeps that span unsampled (only sampled contexts follow awaits, tracing-context.ts).
 */
export function activeContext(): Context {
  return context.active();
}

/** The context of `span` on top of `base` (default: active), to parent later spans under it. */
export function contextOf(span: Span, base: Context = context.active()): Context {
  return trace.setSpan(base, span);
}

/** Whether the active context carries a span (an HTTP request, a message, …). */
export function hasActiveSpan(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}

const carrierGetter = {
  keys: (c: Carrier) => Object.keys(c),
  get: (c: Carrier, key: string) => {
    // HTTP headers arrive lower-case; MQTT user properties as the client wrote them.
    const v = c[key] ?? c[Object.keys(c).find((k) => k.toLowerCase() === key) ?? ''];
    return Array.isArray(v) ? v[0] : v;
  },
};

/** The context a carrier (HTTP headers, MQTT 5 user properties) names with `traceparent`, on top of `base`. */
export function extractContext(carrier: Carrier | undefined, base: Context = context.active()): Context {
  if (!carrier) return base;
  return propagation.extract(base, carrier, carrierGetter);
}

/**
 * `traceparent` (and `tracestate`) for the given context (default: active), as MQTT 5 user
 * properties or headers; undefined when there is nothing to propagate (tracing off, no span).
 */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> | undefined {
  if (trace.getSpan(ctx) === undefined) return undefined;
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return Object.keys(out).length === 0 ? undefined : out;
}

// ---- per-message spans (broker deliveries, cluster hops) -----------------------------------------

/**
 * Per-message tracing is decided once per message, before anything is allocated: off (no SDK),
 * an unsampled parent, or a new root that loses the draw all cost one check and nothing else.
 * `startTracing` (tracing-sdk.ts) turns it on with the root sample ratio (see `messageParent`).
 */
let rootRatio = 1;
/** `log(1 - ratio)`, for the gaps between new roots (`nextGap`). */
let logMiss = -Infinity;
/** Messages that may start a trace until the next one that does (a countdown, not a draw per message). */
let untilRoot = 1;

/**
 * How many root-eligible messages until the next sampled one, counting it: geometric with
 * parameter `rootRatio`, so each message is still kept with probability `rootRatio`, independently
 * of the others (the same distribution as one `Math.random()` per message), for one draw per
 * sampled message instead.
 */
function nextGap(): number {
  if (rootRatio >= 1) return 1;
  if (rootRatio <= 0) return Infinity;
  return Math.floor(Math.log1p(-Math.random()) / logMiss) + 1;
}

/** Whether a new root span (not a message's: those count down, `messageParent`) is kept: one draw at the ratio. */
function rootSampled(): boolean {
  return rootRatio >= 1 || (rootRatio > 0 && Math.random() < rootRatio);
}

/** Called by tracing-sdk.ts: per-message spans on (with the share of new roots kept) or off. */
export function setMessageTracing(on: boolean, ratio = 1): void {
  cachedTracer = undefined;
  messageTracing = on;
  rootRatio = ratio;
  logMiss = Math.log1p(-ratio); // exact for tiny ratios, where log(1 - ratio) would be 0
  untilRoot = nextGap();
}

/** Whether an SDK is exporting (cheap; checked before any per-message tracing work). */
export function tracingOn(): boolean {
  return messageTracing;
}

/** A sampled `traceparent` (version 00, flags with the sampled bit). */
function sampledTraceparent(tp: string | string[] | undefined): boolean {
  const v = Array.isArray(tp) ? tp[0] : tp;
  if (v === undefined || v.length < 55) return false;
  return (parseInt(v.slice(53, 55), 16) & 1) === 1;
}

/** Marks a context whose root span was already drawn (the SDK's root sampler keeps it, tracing-sdk.ts). */
export const PRESAMPLED = createContextKey('tsunagu.presampled');
/** The parent of every per-message root that won the draw (contexts are immutable: one for all). */
const PRESAMPLED_ROOT = ROOT_CONTEXT.setValue(PRESAMPLED, true);

/**
 * The parent a per-message span starts under, or undefined when the message is not traced (so
 * the caller does nothing): a `traceparent` carried by the message (MQTT 5 user property, NATS
 * header) when sampled; else the active span when sampled (a platform publish inside a command's
 * trace); else, when `root` is allowed, a new trace with probability `ratio` (a countdown to the
 * next sampled message, `nextGap`). The unsampled path allocates nothing and reads no clock.
 */
export function messageParent(carrier: Carrier | undefined, root: boolean): Context | undefined {
  if (!messageTracing) return undefined;
  const tp = carrier?.traceparent;
  if (tp !== undefined) return sampledTraceparent(tp) ? extractContext(carrier, ROOT_CONTEXT) : undefined;
  const active = activeContextFast();
  if (active !== ROOT_CONTEXT) {
    const span = trace.getSpan(active);
    if (span !== undefined) return (span.spanContext().traceFlags & 1) === 1 ? active : undefined;
  }
  if (!root || --untilRoot > 0) return undefined;
  untilRoot = nextGap();
  return PRESAMPLED_ROOT;
}

/**
 * The span of a message `messageParent` chose to trace (`mqtt deliver`, its forwarded copy): a
 * light span (tracing-message-span.ts) under the sampled parent or as a new root it drew; the
 * SDK's span when that cannot be used (no sink installed, a parent without a span context).
 */
export function startMessageSpanUnder(name: string, kind: SpanKind, parent: Context): Span {
  if (parent === PRESAMPLED_ROOT)
    return startMessageSpan(name, kind, undefined) ?? startSpan(name, { kind, parent });
  const p = trace.getSpanContext(parent);
  const light = p !== undefined && (p.traceFlags & 1) === 1 ? startMessageSpan(name, kind, p) : undefined;
  return light ?? startSpan(name, { kind, parent });
}

/**
 * Run `fn` inside `span` (active), and end it after `fn` returns (synchronous work: what `fn`
 * leaves running keeps the span's context only if it enters it itself, as `inMessageTrace` does).
 * `attributes`, when given, are set once just before the end, with `fn`'s result (undefined when
 * it threw): one pass of the SDK's attribute checks instead of one at the start and one at the end.
 */
export function runInSpan<T>(
  span: Span,
  parent: Context,
  fn: () => T,
  attributes?: (result: T | undefined) => Attributes,
): T {
  let result: T | undefined;
  try {
    result = withContextSync(withSpanOnTop(parent, span), fn);
    return result;
  } finally {
    if (attributes) adoptAttributes(span, attributes(result));
    span.end();
  }
}
