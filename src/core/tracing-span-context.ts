/**
 * `trace.setSpan(base, span)` without copying `base`: the API's contexts are immutable maps, and
 * each `setValue` copies the whole map, which a broker delivery span paid once per sampled message
 * although nothing under a plain client-to-client delivery reads its context. This context holds
 * the span and its base, answers `getValue` from them, and builds the API's own context only when
 * something adds to it (a handler's child span does: `trace.setSpan` on this context).
 */
import { type Context, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';

/** The API's key for the active span (`createContextKey` is `Symbol.for` of its description). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

class SpanOnTop implements Context {
  constructor(
    private readonly base: Context,
    private readonly span: Span,
  ) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.base.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(this.base, this.span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return trace.setSpan(this.base, this.span).deleteValue(key);
  }
}

/** Whether the API reads its span key as this file does (checked once: else `withSpanOnTop` is `trace.setSpan`). */
const probe = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 0 });
const keyMatches = trace.getSpan(new SpanOnTop(ROOT_CONTEXT, probe)) === probe;

/** `base` with `span` as its active span (`trace.setSpan`), copying nothing until something is added. */
export function withSpanOnTop(base: Context, span: Span): Context {
  return keyMatches ? new SpanOnTop(base, span) : trace.setSpan(base, span);
}
