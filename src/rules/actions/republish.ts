/**
 * republish: put the SELECT output on an MQTT topic through the broker's publish API (so it fans
 * out like any message, to MQTT subscribers and to other rules). Rules publish as the platform,
 * but never where only the platform may: `$SYS/…` (the broker's), platform answer topics
 * (`$aws/things/+/shadow/…/accepted` …, `$fleet/…`, the registry's catalogue) and the rules
 * engine's own `$tsunagu/…` event topics are refused, as they are for devices.
 */
import type { BrokerApi } from '../../mqtt/index.js';
import { isBrokerReservedTopic, requireDelivered } from '../../mqtt/index.js';
import { isPlatformAnswerTopic } from '../../registry/index.js';
import type { RepublishAction, Rendered } from '../types.js';

/** Why a rule may not publish to this topic, or null. */
export function republishRefusal(topic: string): string | null {
  if (topic.length === 0) return 'the topic is empty';
  if (/[+#]/.test(topic) || topic.includes('\u0000')) return `topic ${topic} holds a wildcard or NUL`;
  if (isBrokerReservedTopic(topic)) return `topic ${topic} is reserved for the broker ($SYS)`;
  if (isPlatformAnswerTopic(topic)) return `topic ${topic} is reserved for the platform's answers`;
  if (topic === '$tsunagu' || topic.startsWith('$tsunagu/'))
    return `topic ${topic} is reserved for platform events`;
  return null;
}

/**
 * MQTT 5 user property on every republished message: the rules it passed through
 * (`rule_a,rule_b`). The engine reads it back on messages the platform published, to stop loops.
 */
export const RULE_PATH_PROPERTY = 'tsunagu-rules';

export async function sendRepublish(broker: BrokerApi, a: RepublishAction, r: Rendered): Promise<void> {
  const why = republishRefusal(r.target);
  if (why) throw new Error(`not authorized: ${why}`);
  const userProperties = r.rulePath ? { ...r.headers, [RULE_PATH_PROPERTY]: r.rulePath } : r.headers;
  const qos = a.qos ?? 0;
  const result = await broker.publish({
    topic: r.target,
    payload: Buffer.from(r.body ?? '', 'base64'),
    qos,
    retain: a.retain ?? false,
    ...(userProperties || r.contentType
      ? {
          properties: {
            ...(userProperties ? { userProperties } : {}),
            ...(r.contentType ? { contentType: r.contentType } : {}),
          },
        }
      : {}),
  });
  // A QoS 1/2 copy a subscriber did not get fails the attempt (retried, then the error action):
  // at least once, as the QoS asks. QoS 0 is at most once; its drops are counted by the broker.
  if (qos > 0) requireDelivered(r.target, result);
}
