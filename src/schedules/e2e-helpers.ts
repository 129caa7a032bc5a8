/** Helpers for the schedules end-to-end tests: API calls and mqtt.js boilers speaking the shadow protocol. */
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import type { TestPlatform } from '../test-support/platform.js';

import { api, type Body } from '../test-support/platform-api.js';
export { api, type Body };

export async function register(p: TestPlatform, id: string): Promise<string> {
  assert.equal((await api(p, 'POST', '/devices', { id })).status, 201);
  return (await api(p, 'POST', `/devices/${id}/credentials`, {})).body.secret as string;
}

export interface Boiler {
  client: MqttClient;
  /** Every delta state received. */
  deltas: Body[];
  close(): Promise<void>;
}

/**
 * A boiler on the AWS shadow topics: subscribes to its delta, asks for its shadow once connected,
 * and — when `applies` — reports whatever delta it gets (a refusing boiler ignores it).
 */
export async function boiler(p: TestPlatform, id: string, secret: string, applies: boolean): Promise<Boiler> {
  const client = mqtt.connect(p.mqttUrl, {
    clientId: id,
    username: id,
    password: secret,
    protocolVersion: 4,
    keepalive: 0, // the platform runs on a manual clock in these tests
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const prefix = `$aws/things/${id}/shadow`;
  const deltas: Body[] = [];
  const report = (state: Body): void => {
    if (applies)
      client
        .publishAsync(`${prefix}/update`, JSON.stringify({ state: { reported: state } }), { qos: 1 })
        .catch(() => undefined);
  };
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Body;
    if (topic.endsWith('/update/delta')) {
      deltas.push(body.state as Body);
      report(body.state as Body);
    } else if (topic.endsWith('/get/accepted') && body.state?.delta) {
      deltas.push(body.state.delta as Body);
      report(body.state.delta as Body);
    }
  });
  await client.subscribeAsync([`${prefix}/update/delta`, `${prefix}/get/accepted`], { qos: 1 });
  await client.publishAsync(`${prefix}/get`, '{}', { qos: 1 });
  return { client, deltas, close: () => client.endAsync() };
}
