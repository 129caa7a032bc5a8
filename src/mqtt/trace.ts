/**
 * Broker delivery spans (docs/observability.md): one `mqtt deliver` span per traced message, with
 * what the fan-out did (copies delivered, dropped, nodes forwarded to). Sampling is decided once
 * per message (`messageParent` in core/tracing.ts): a sampled `traceparent` user property, a
 * sampled platform trace, or a new root drawn at the configured ratio. Everything the fan-out does
 * runs inside the span: server-side handlers nest under it, and the cluster fan-out passes its
 * context to other nodes in NATS headers.
 */
import {
  type Context,
  messageParent,
  SpanKind,
  startMessageSpanUnder,
  runInSpan,
  tracingOn,
} from '../core/index.js';
import type { Route } from './route.js';
import type { Message } from './types.js';

/** `route(msg)`, inside an `mqtt deliver` span when the message is traced (`$SYS/` never starts a trace). */
export function routeTraced(msg: Message, route: (msg: Message) => Route): Route {
  if (!tracingOn()) return route(msg);
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
  // Attributes are set once, at the end (runInSpan).
  const span = startMessageSpanUnder(name, kind, parent);
  return runInSpan(span, parent, route, (r) => attributesOf(msg, r));
}

/**
 * Messaging attributes (OpenTelemetry semantic conventions; the topic is an attribute, not the
 * name) and what the fan-out did: each is copied and encoded per sampled message, so
 * `messaging.operation.type` (always `publish`: the span's name and kind say it) is left out, and
 * the dropped and forwarded counts are there only when not 0.
 */
export function attributesOf(msg: Message, r?: Route): Record<string, string | number> {
  const a: Record<string, string | number> = {
    'messaging.system': 'mqtt',
    'messaging.destination.name': msg.topic,
    'messaging.mqtt.qos': msg.qos,
  };
  if (msg.publisherId !== undefined) a['messaging.client.id'] = msg.publisherId;
  if (r !== undefined) {
    a['tsunagu.mqtt.delivered'] = r.delivered;
    if (r.dropCount > 0) a['tsunagu.mqtt.dropped'] = r.dropCount;
    if (r.forwarded > 0) a['tsunagu.mqtt.forwarded'] = r.forwarded;
  }
  return a;
}
