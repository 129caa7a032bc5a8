/**
 * A command's trace (docs/observability.md): one span for its whole life, from the API call to the
 * outcome, with the MQTT publish, the device's reply and the outcome (and what counts it, e.g. the
 * SLO engine) as children. The publish carries `traceparent` as an MQTT 5 user property; a device
 * that echoes it (or sends its own) on the reply puts the reply under its span.
 */
import {
  activeContext,
  contextOf,
  extractContext,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  startSpan,
  traceHeaders,
  withSpan,
} from '../core/index.js';
import type { BrokerMessage } from '../mqtt/index.js';
import type { Pending } from './pending.js';
import type { CommandRecord } from './types.js';

/** The span of a command's whole life, under `parent` (the caller's context, taken before any await). */
export function startCommandSpan(rec: CommandRecord, parent: Context): Span {
  return startSpan(`command ${rec.name}`, {
    parent,
    attributes: {
      'tsunagu.command.id': rec.id,
      'tsunagu.command.name': rec.name,
      'tsunagu.device.id': rec.deviceId,
      ...(rec.model === null ? {} : { 'tsunagu.device.model': rec.model }),
    },
  });
}

/**
 * Publish inside a PRODUCER span under the command's span (given, not taken from the active
 * context: the publish follows awaits); `publish` gets the user properties that carry its context.
 */
export function publishTraced<T>(
  rec: CommandRecord,
  topic: string,
  command: Span | undefined,
  publish: (userProperties: Record<string, string> | undefined) => Promise<T>,
): Promise<T> {
  return withSpan(
    `publish devices/+/commands/${rec.name}`,
    {
      kind: SpanKind.PRODUCER,
      ...(command === undefined ? {} : { parent: contextOf(command) }),
      attributes: { 'messaging.system': 'mqtt', 'messaging.destination.name': topic },
    },
    () => publish(traceHeaders()),
  );
}

/** Run the handling of a device's reply in a CONSUMER span under the device's context, else the command's. */
export function replyTraced<T>(p: Pending, msg: BrokerMessage, fn: () => Promise<T>): Promise<T> {
  const base = p.span ? contextOf(p.span) : activeContext();
  return withSpan(
    `command reply ${p.rec.name}`,
    {
      kind: SpanKind.CONSUMER,
      parent: extractContext(msg.properties?.userProperties, base),
      attributes: { 'messaging.system': 'mqtt', 'messaging.destination.name': msg.topic },
    },
    () => {
      p.replyContext = activeContext();
      return fn();
    },
  );
}

/** Announce the outcome in its own span (listeners' spans nest under it), then end the command's span. */
export function outcomeTraced(p: Pending, emit: () => void): void {
  const span = p.span;
  if (!span) {
    emit();
    return;
  }
  const parent: Context = p.replyContext ?? contextOf(span);
  withSpan(
    `command outcome ${p.rec.status}`,
    { parent, attributes: { 'tsunagu.command.status': p.rec.status } },
    emit,
  );
  span.setAttribute('tsunagu.command.status', p.rec.status);
  if (p.rec.status !== 'succeeded')
    span.setStatus({ code: SpanStatusCode.ERROR, message: p.rec.errorCode ?? p.rec.status });
  span.end();
  p.span = undefined;
}
