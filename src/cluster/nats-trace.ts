/**
 * Trace context across nodes (docs/observability.md): a node that forwards an MQTT message or
 * sends a cluster event inside a sampled span puts W3C `traceparent` (and `tracestate`) in the NATS
 * message headers; the receiving node continues that trace (`mqtt deliver forwarded`, `cluster
 * event <name>` spans). Nothing is added when tracing is off or the work is not sampled, and a
 * receiver never starts a trace of its own for a message that came without one.
 */
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { type Context, messageParent, traceHeaders, tracingOn } from '../core/index.js';

/** Headers carrying the active span's context, or undefined (tracing off, nothing sampled). */
export function outgoingTraceHeaders(): MsgHdrs | undefined {
  if (!tracingOn()) return undefined;
  const th = traceHeaders();
  if (th?.traceparent === undefined) return undefined;
  const h = natsHeaders();
  for (const [k, v] of Object.entries(th)) h.set(k, v);
  return h;
}

/** The sampled context a received NATS message carries, or undefined (then: no span). */
export function incomingTraceParent(h: MsgHdrs | undefined): Context | undefined {
  if (h === undefined || !tracingOn()) return undefined;
  const traceparent = h.get('traceparent');
  if (traceparent === '') return undefined;
  const tracestate = h.get('tracestate');
  return messageParent(tracestate === '' ? { traceparent } : { traceparent, tracestate }, false);
}
