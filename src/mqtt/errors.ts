/** The broker's error catalogue (API misuse by platform code; protocol errors use reason codes). */
import { defineError } from '../core/index.js';

export const MqttErrors = {
  invalidTopic: defineError(
    'MQTT_INVALID_TOPIC',
    400,
    (topic: string, why: string) => `invalid MQTT topic "${topic}": ${why}`,
    () => 'topic',
  ),
  invalidFilter: defineError(
    'MQTT_INVALID_FILTER',
    400,
    (filter: string) => `invalid MQTT topic filter "${filter}"`,
    () => 'filter',
  ),
  notStarted: defineError('MQTT_BROKER_CLOSED', 503, (what: string) => `broker is ${what}`),
};
