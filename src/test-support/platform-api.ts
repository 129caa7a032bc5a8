/** A test platform's HTTP API and devices, for end-to-end tests and benchmarks of any module. */
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestPlatform } from './platform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely in tests
export type Body = Record<string, any>;

export async function api(
  p: TestPlatform,
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH',
  url: string,
  payload?: unknown,
): Promise<{ status: number; body: Body }> {
  const r = await p.app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: p.auth,
    ...(payload === undefined ? {} : { payload: payload as Body }),
  });
  return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as Body) : {} };
}

/** Register a device (optionally with a model) and a password credential; returns the secret. */
export async function registerDevice(p: TestPlatform, id: string, model?: string): Promise<string> {
  const d = await api(p, 'POST', '/devices', { id, ...(model ? { model } : {}) });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  const c = await api(p, 'POST', `/devices/${id}/credentials`, {});
  assert.equal(c.status, 201, JSON.stringify(c.body));
  return c.body.secret as string;
}

/** An mqtt.js client that does not reconnect; rejects with the CONNACK error. */
export function connect(url: string, clientId: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}
