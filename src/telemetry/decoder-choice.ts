/**
 * The one place that decides which decoder a device model gives a message: the first entry of the
 * model's `decoders` whose `match` fits (transport, MQTT topic filter), else the model's single
 * `decoder`, else none (the built-in defaults). One scooter model can so decode JSON events over
 * MQTT and CSV telegrams over TCP.
 */
import type { DecoderRoute, DeviceModelInfo, MessageTransport } from '../core/index.js';

/** Where a message came from: its transport and its topic (MQTT topic, `telegram/<peer>`, `http`). */
export interface MessageOrigin {
  transport: MessageTransport;
  topic: string;
}

export type DecoderChooser = (origin: MessageOrigin) => string | undefined;

/** An MQTT topic filter as a level test; `+` is one level, `#` this level and everything below. */
function filterTest(filter: string): (topic: string) => boolean {
  const f = filter.split('/');
  return (topic) => {
    const t = topic.split('/');
    for (let i = 0; i < f.length; i++) {
      const part = f[i]!;
      if (part === '#') return true; // [MQTT-4.7.1-2] also matches the parent level
      if (i >= t.length || (part !== '+' && part !== t[i])) return false;
    }
    return f.length === t.length;
  };
}

function routeTest(r: DecoderRoute): (o: MessageOrigin) => boolean {
  const { transport, topic } = r.match;
  const want = topic !== undefined ? 'mqtt' : transport; // a topic only exists on MQTT
  const topicOk = topic === undefined ? () => true : filterTest(topic);
  return (o) => (want === undefined || o.transport === want) && topicOk(o.topic);
}

/** Compile a model's decoder references once (the cache keeps the result per model). */
export function compileDecoderChoice(model: Pick<DeviceModelInfo, 'decoder' | 'decoders'>): DecoderChooser {
  const routes = (model.decoders ?? []).map((r) => ({ test: routeTest(r), decoder: r.decoder }));
  const fallback = model.decoder;
  if (routes.length === 0) return () => fallback;
  return (o) => {
    for (const r of routes) if (r.test(o)) return r.decoder;
    return fallback;
  };
}

export function chooseDecoderId(
  model: Pick<DeviceModelInfo, 'decoder' | 'decoders'>,
  origin: MessageOrigin,
): string | undefined {
  return compileDecoderChoice(model)(origin);
}
