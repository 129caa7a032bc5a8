/**
 * A model's `decoders`: telemetry decoder ids per transport and MQTT topic, so one model can decode
 * JSON events over MQTT and CSV telegrams over TCP. The registry only checks the shape and stores
 * it; telemetry decides per message (src/telemetry/decoder-choice.ts, docs/telemetry.md).
 */
import type { DecoderRoute, MessageTransport } from '../core/index.js';
import { RegistryErrors } from './errors.js';

export const MESSAGE_TRANSPORTS: readonly MessageTransport[] = ['mqtt', 'telegram', 'http'];
const MAX_ROUTES = 32;

const fail = (field: string, why: string): never => {
  throw RegistryErrors.invalid(field, why);
};
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Record<string, unknown>, allowed: string[], field: string, what: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) fail(`${field}.${k}`, `is not ${what} (${allowed.join(', ')})`);
}

/** MQTT topic filter rules: `#` only as the whole last level, `+` only as a whole level. */
function topicFilterError(topic: string): string | undefined {
  if (topic === '' || topic.length > 256) return 'must be an MQTT topic filter of 1-256 characters';
  const levels = topic.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole last level';
    if (l.includes('+') && l !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

export function checkDecoderRoutes(v: unknown, field: string): DecoderRoute[] {
  if (!Array.isArray(v)) return fail(field, 'must be a list of { match, decoder }');
  if (v.length > MAX_ROUTES) fail(field, `must have at most ${MAX_ROUTES} entries`);
  return v.map((e, i): DecoderRoute => {
    const at = `${field}[${i}]`;
    if (!isObject(e)) return fail(at, 'must be an object { match, decoder }');
    onlyKeys(e, ['match', 'decoder'], at, 'a decoders entry field');
    if (typeof e.decoder !== 'string' || e.decoder === '' || e.decoder.length > 64)
      fail(`${at}.decoder`, 'must be a decoder id');
    const m = e.match;
    if (!isObject(m))
      return fail(`${at}.match`, 'must be an object with transport and/or topic ({} matches all)');
    onlyKeys(m, ['transport', 'topic'], `${at}.match`, 'a match key');
    const match: DecoderRoute['match'] = {};
    if (m.transport !== undefined) {
      if (!MESSAGE_TRANSPORTS.includes(m.transport as MessageTransport))
        fail(`${at}.match.transport`, `must be one of ${MESSAGE_TRANSPORTS.join(', ')}`);
      match.transport = m.transport as MessageTransport;
    }
    if (m.topic !== undefined) {
      if (typeof m.topic !== 'string') return fail(`${at}.match.topic`, 'must be an MQTT topic filter');
      const why = topicFilterError(m.topic);
      if (why) fail(`${at}.match.topic`, why);
      if (match.transport !== undefined && match.transport !== 'mqtt')
        fail(
          `${at}.match.topic`,
          'only MQTT messages have a topic: use it with transport mqtt (or no transport)',
        );
      match.topic = m.topic;
    }
    return { match, decoder: e.decoder as string };
  });
}
