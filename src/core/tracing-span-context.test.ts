/**
 * The context a message span runs in (tracing-span-context.ts): the API reads its span and its
 * base's values, and what is added to it is a full API context with everything in it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createContextKey, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { withSpanOnTop } from './tracing-span-context.js';

const span = trace.wrapSpanContext({
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  traceFlags: TraceFlags.SAMPLED,
});
const other = trace.wrapSpanContext({
  traceId: 'c'.repeat(32),
  spanId: 'd'.repeat(16),
  traceFlags: TraceFlags.SAMPLED,
});
const KEY = createContextKey('test key');

test('the span is the active span of the context; other values come from the base', () => {
  const base = trace.setSpan(ROOT_CONTEXT, other).setValue(KEY, 42);
  const ctx = withSpanOnTop(base, span);
  assert.equal(trace.getSpan(ctx), span);
  assert.equal(trace.getSpanContext(ctx)?.spanId, 'b'.repeat(16));
  assert.equal(ctx.getValue(KEY), 42);
  assert.equal(trace.getSpan(base), other, 'the base is unchanged');
});

test('adding to it or deleting from it gives an API context with the span and the base in it', () => {
  const ctx = withSpanOnTop(ROOT_CONTEXT.setValue(KEY, 'kept'), span);
  const KEY2 = createContextKey('second');
  const added = ctx.setValue(KEY2, 'new');
  assert.equal(trace.getSpan(added), span);
  assert.equal(added.getValue(KEY), 'kept');
  assert.equal(added.getValue(KEY2), 'new');
  const child = trace.setSpan(ctx, other);
  assert.equal(trace.getSpan(child), other);
  assert.equal(child.getValue(KEY), 'kept');
  const without = ctx.deleteValue(KEY);
  assert.equal(trace.getSpan(without), span);
  assert.equal(without.getValue(KEY), undefined);
  assert.equal(trace.getSpan(trace.deleteSpan(ctx)), undefined);
});
