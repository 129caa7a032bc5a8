/**
 * Broker delivery spans (docs/observability.md): one `mqtt deliver` span per traced message, with
 * what the fan-out did (copies delivered, dropped, nodes forwarded to). Sampling is decided once
 * per message (`messageParent` in core/tracing.ts): a sampled `traceparent` user property, a
 * sampled platform trace, or a new root drawn at the configured ratio. Everything the fan-out does
 * runs inside the span: server-side handlers nest under it, and the cluster fan-out passes its
 * context to other nodes in NATS headers.
 */
import { type Context, messageParent, SpanKind, startSpan, runInSpan } from '../core/index.js';
import type { Route } from './route.js';
import type { Message } from './types.js';

/** `route(msg)`, inside an `mqtt deliver` span when the message is traced (`$SYS/` never starts a trace). */
export function routeTraced(msg: Message, route: (msg: Message) => Route): Route {
  const parent = messageParent(msg.properties?.userProperties, !msg.topic.startsWith('$SYS/'));
  return parent === undefined ? route(msg) : tracedRoute(parent, msg, () => route(msg));
}

/** `route()` inside a span named `name` under `parent` (a forwarded message: `mqtt deliver forwarded`, CONSUMER). */
export function tracedRoute(
  parent: Context,
  msg: Message,
  route: () => Route,
  name = 'mqtt deliver',
  kind: SpanKind = SpanKind.PRODUCER,
): Route {
  const span = startSpan(name, { kind, parent, attributes: attributesOf(msg) });
  const r = runInSpan(span, parent, () => {
    const r = route();
    span.setAttributes({
      'tsunagu.mqtt.delivered': r.delivered,
      'tsunagu.mqtt.dropped': r.dropCount,
      'tsunagu.mqtt.forwarded': r.forwarded,
    });
    return r;
  });
  return r;
}

/** Messaging attributes (OpenTelemetry semantic conventions); the topic is an attribute, not the name. */
export function attributesOf(msg: Message): Record<string, string | number> {
  return {
    'messaging.system': 'mqtt',
    'messaging.operation.type': 'publish',
    'messaging.destination.name': msg.topic,
    'messaging.mqtt.qos': msg.qos,
    ...(msg.publisherId === undefined ? {} : { 'messaging.client.id': msg.publisherId }),
  };
}
